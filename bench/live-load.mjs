// Background load for bench/live.mjs: raw UDP frames injected with cap (pcap_sendpacket) on
// an interface of the namespace this runs in (started through nsenter), at a given rate, for
// a bounded time. Prints {"sent": n, "seconds": s} when done.
//   node live-load.mjs <iface> <srcMac> <dstMac> <srcIp> <dstIp> <packetsPerSecond> <seconds>
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Cap } = require('cap');
const [iface, srcMac, dstMac, srcIp, dstIp, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Math.min(Number(secondsText), 30);

function frame() {
  const buf = Buffer.alloc(14 + 20 + 8 + 18);
  Buffer.from(dstMac.replace(/:/g, ''), 'hex').copy(buf, 0);
  Buffer.from(srcMac.replace(/:/g, ''), 'hex').copy(buf, 6);
  buf.writeUInt16BE(0x0800, 12);
  const ip = 14;
  buf.writeUInt8(0x45, ip);
  buf.writeUInt16BE(20 + 8 + 18, ip + 2);
  buf.writeUInt8(64, ip + 8);
  buf.writeUInt8(17, ip + 9);
  srcIp.split('.').forEach((o, i) => buf.writeUInt8(Number(o), ip + 12 + i));
  dstIp.split('.').forEach((o, i) => buf.writeUInt8(Number(o), ip + 16 + i));
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += buf.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  buf.writeUInt16BE(~sum & 0xffff, ip + 10);
  const udp = ip + 20;
  buf.writeUInt16BE(40000, udp);
  buf.writeUInt16BE(9, udp + 2); // discard; the receiver drops it in iptables, so no ICMP comes back
  buf.writeUInt16BE(8 + 18, udp + 4);
  return buf;
}

const cap = new Cap();
// A filter that matches nothing: this handle only sends.
cap.open(iface, 'ether proto 0x88b5', 1024 * 1024, Buffer.alloc(65535));
const packet = frame();
const started = process.hrtime.bigint();
let sent = 0;
function burst() {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  if (elapsed >= seconds) {
    cap.close();
    process.stdout.write(`${JSON.stringify({ sent, seconds: elapsed })}\n`);
    process.exit(0);
  }
  const due = Math.min(Math.floor(rate * elapsed) - sent, 20_000);
  for (let i = 0; i < due; i++) {
    try {
      cap.send(packet, packet.length);
      sent++;
    } catch {
      break; // the device queue is full: try again on the next turn
    }
  }
  setImmediate(burst);
}
process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
burst();
