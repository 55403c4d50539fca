import type { FlowReport, Hop, Report } from '../model.js';
import { flowJson, renderJson } from './json.js';
import { hopChain, renderFlow, renderText, type TextOptions } from './text.js';

/** How a report is printed as it goes: text, one JSON document, or JSON Lines (see schema/report-lines.schema.json). */
export type StreamFormat = 'text' | 'json' | 'jsonl';

/**
 * Prints flows as the trace retires them (so they leave memory), then the rest and the
 * summary at the end. A trace that retired nothing prints exactly the one-piece report.
 */
export interface ReportStream {
  /** A flow whose verdict can no longer change: printed now. */
  flow(flow: FlowReport): void;
  /** The final report (the flows still held) and the counts over every flow printed. */
  end(report: Report): { flows: number; notOk: number };
}

const MARK = '@@hoptrace-flows@@';

export function reportStream(format: StreamFormat, hops: Hop[], write: (text: string) => void, text: TextOptions): ReportStream {
  const color = text.color;
  let flows = 0;
  let notOk = 0;
  const count = (flow: FlowReport) => {
    flows++;
    if (flow.verdict !== 'ok') notOk++;
  };
  if (format === 'jsonl') {
    return {
      flow(flow) {
        count(flow);
        write(`${JSON.stringify(flowJson(flow))}\n`);
      },
      end(report) {
        for (const flow of report.flows) this.flow(flow);
        write(`${JSON.stringify({ summary: report.summary, flows, notOk })}\n`);
        return { flows, notOk };
      },
    };
  }
  let started = false;
  const json = format === 'json';
  // Each line indented by four: JSON text holds no raw newline but between lines.
  const element = (flow: FlowReport) => `    ${JSON.stringify(flowJson(flow), null, 2).replaceAll('\n', '\n    ')}`;
  return {
    flow(flow) {
      if (!started) write(json ? `${documentAround({ hops, flows: [], summary: EMPTY_SUMMARY })[0]}\n` : `path: ${hopChain(hops)}\n\n`);
      write(json ? `${started ? ',\n' : ''}${element(flow)}` : `${renderFlow(flow, hops, color)}\n\n`);
      started = true;
      count(flow);
    },
    end(report) {
      if (!started) {
        for (const flow of report.flows) count(flow);
        write(json ? renderJson(report) : renderText(report, text));
        return { flows, notOk };
      }
      if (json) {
        for (const flow of report.flows) this.flow(flow);
        write(`\n${documentAround(report)[1]}`);
      } else {
        for (const flow of report.flows) this.flow(flow);
        write(textTail(report, flows, notOk, text));
      }
      return { flows, notOk };
    },
  };
}

const EMPTY_SUMMARY: Report['summary'] = { packetsPerHop: [], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: '' };

/** The one-piece JSON document split where its flows go: the text before the first and after the last. */
function documentAround(report: Report): [string, string] {
  const whole = renderJson({ ...report, flows: [] });
  const marked = whole.replace('"flows": []', `"flows": [\n    "${MARK}"\n  ]`);
  const at = marked.indexOf(`\n    "${MARK}"\n`);
  return [marked.slice(0, at), marked.slice(at + `\n    "${MARK}"\n`.length)];
}

/** After streamed flows: the summary lines of the text report, counting every flow printed. */
function textTail(report: Report, flows: number, notOk: number, text: TextOptions): string {
  const lines = renderText({ ...report, flows: [] }, text).split('\n');
  // The one-piece report's header lines (path, packets per hop, timestamps, left out), without its "no flow" and count lines.
  const header = lines.slice(1, lines.indexOf(''));
  return `${header.join('\n')}\n${flows} flow${flows === 1 ? '' : 's'}, ${notOk} not ok\n`;
}
