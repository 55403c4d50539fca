import { writeFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import type { Report } from '../../model.js';
import type { LadderCollector } from './ladder-collector.js';
import { renderHtml } from './page.js';

export { LadderCollector } from './ladder-collector.js';
export { renderHtml, CONTENT_SECURITY_POLICY } from './page.js';

/** Writes the page for the final report (already filtered as the text report is). */
export function writeHtmlReport(file: string, report: Report, ladders: LadderCollector, options: { description?: string; version: string }): void {
  const html = renderHtml(report, (id) => ladders.ladder(id), options);
  try {
    writeFileSync(file, html);
  } catch (error) {
    throw new InputError(`cannot write ${file}: ${(error as Error).message}`);
  }
}
