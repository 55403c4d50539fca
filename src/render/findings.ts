import type { Direction, Finding, FlowReport, Rejection } from '../model.js';
import { icmpErrorName } from '../explain/icmp.js';
import { formatAddress } from '../addresses.js';

// Findings arrive as values (explain decides them); their sentences are made here, once, for
// the text report, the JSON `message` and the TUI.

function count(n: number, direction: Direction): string {
  if (direction === 'request') return `${n} request${n === 1 ? '' : 's'}`;
  return `${n} repl${n === 1 ? 'y' : 'ies'}`;
}

/** "ICMPv6 packet too big (MTU 1280)", "TCP reset". */
export function answerName(answer: Rejection): string {
  if (answer.kind === 'tcp-reset') return 'TCP reset';
  const mtu = answer.mtu === undefined ? '' : ` (MTU ${answer.mtu})`;
  return `${icmpErrorName(answer.v6, answer.type, answer.code)}${mtu}`;
}

function who(netns: string | undefined): string {
  if (netns === 'host') return 'the Docker host';
  return netns === undefined ? 'a hop of the path' : `network namespace ${netns}`;
}

function rejectedText(f: Extract<Finding, { code: 'rejected' }>): string {
  const name = answerName(f.answer);
  if ('between' in f) {
    const [a, b] = f.between;
    const noun = f.answer.kind === 'tcp-reset' ? 'reset' : 'error';
    return `${name} made by ${who(f.netns)}, between ${a} and ${b}; the ${noun} carries ${formatAddress(f.answer.from)}'s address but never crossed ${b}`;
  }
  if ('at' in f) return `${name} from ${formatAddress(f.answer.from)} at ${f.at} answered the request`;
  return `${name} from ${formatAddress(f.answer.from)}, beyond ${f.beyond}, answered the request`;
}

/** The sentence of one finding. */
export function findingText(f: Finding): string {
  switch (f.code) {
    case 'rejected':
      return rejectedText(f);
    case 'reset-close':
      return `the connection was ended by a TCP reset from ${formatAddress(f.from)} (the ${f.side}) after it was answered: a close, not a rejection`;
    case 'no-snat':
      return `packets leave ${f.at} with the container's own source ${formatAddress(f.src)}, which is not routable outside: nothing rewrote it (no SNAT/MASQUERADE), so no reply can find its way back`;
    case 'capture-gap':
      // Seen farther along, or answered from there or beyond (an answered echo request the uplink missed): it crossed the hop.
      return `${f.count} packet${f.count === 1 ? '' : 's'} that crossed ${f.at} ${f.count === 1 ? 'was' : 'were'} missing there (seen farther along, or answered from ${f.at} or beyond): capture loss, not a network drop`;
    case 'hop-not-seeing-flow': {
      const why = f.bridge ? ' (a bridge device does not see traffic forwarded between two of its ports)' : '';
      return `${f.at} saw none of this flow's packets though they crossed it${why}`;
    }
    case 'partial-loss':
      return `${f.count} of ${count(f.of, f.direction)} vanished ${'between' in f ? `between ${f.between[0]} and ${f.between[1]}` : 'at' in f ? `at ${f.at}` : `beyond ${f.beyond}`}`;
    case 'unanswered':
      return `${f.count} of ${count(f.of, 'request')} reached ${f.beyond} and no reply came back from beyond it`;
    case 'in-flight':
      if (f.beyond !== undefined) {
        return `${count(f.count, 'request')} left ${f.beyond} so shortly before the capture ended that ${f.count === 1 ? 'its answer' : 'their answers'} may still have been on the way`;
      }
      return `${count(f.count, f.direction)} still on the way when the capture ended`;
    case 'not-captured':
      return `${count(f.count, f.direction)} could reach ${f.at} only after its capture had ended (its host was lost): not captured there, so not known to be dropped${f.unanswered ? `; no answer came back for ${f.unanswered} of them` : ''}`;
  }
}

/** What a partly answered flow lost, for its verdict sentence. */
export function partialText(flow: FlowReport): string {
  const parts = flow.findings.filter((f) => f.code === 'partial-loss' || f.code === 'unanswered' || (f.code === 'not-captured' && f.unanswered)).map(findingText);
  return parts.length > 0 ? parts.join('; ') : 'not every request was answered';
}
