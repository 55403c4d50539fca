// Test helper: injects <count> UDP frames of <size> bytes to port 9 on <iface> with cap
// (pcap_sendpacket), in the network namespace this runs in (started through nsenter).
//   node inject.mjs <iface> <count> <size> [<srcIp> <dstIp>]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Cap } = require('cap');
const [iface, countText, sizeText, srcIp = '198.18.250.1', dstIp = '198.18.250.2'] = process.argv.slice(2);
const size = Number(sizeText);
const frame = Buffer.alloc(size);
frame.fill(0xff, 0, 6); // broadcast: no neighbour needed
frame.writeUInt16BE(0x0800, 12);
frame.writeUInt8(0x45, 14);
frame.writeUInt16BE(size - 14, 16);
frame.writeUInt8(64, 22);
frame.writeUInt8(17, 23);
Buffer.from([...srcIp.split('.'), ...dstIp.split('.')].map(Number)).copy(frame, 26);
frame.writeUInt16BE(40000, 34);
frame.writeUInt16BE(9, 36);
frame.writeUInt16BE(size - 34, 38);
const cap = new Cap();
cap.open(iface, 'ether proto 0x88b5', 1024 * 1024, Buffer.alloc(64));
let sent = 0;
while (sent < Number(countText)) {
  try {
    frame.writeUInt32BE(sent, 42);
    cap.send(frame, frame.length);
    sent++;
  } catch {
    // the device queue is full: try again
  }
}
cap.close();
