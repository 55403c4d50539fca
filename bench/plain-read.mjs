// The floor: walks the records of classic pcap files in 1 MiB chunks, touching only the
// record headers. Anything hoptrace does on top of this is decoding and matching.
import fs from 'node:fs';

let packets = 0;
for (const file of process.argv.slice(2)) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let carry = 0;
  let offset = 24;
  let pos = 24;
  for (;;) {
    const n = fs.readSync(fd, buf, carry, buf.length - carry, pos);
    if (n === 0) break;
    pos += n;
    const end = carry + n;
    let o = 0;
    while (o + 16 <= end) {
      const len = buf.readUInt32LE(o + 8);
      if (o + 16 + len > end) break;
      o += 16 + len;
      packets++;
    }
    buf.copy(buf, 0, o, end);
    carry = end - o;
    offset += o;
  }
  fs.closeSync(fd);
}
process.stdout.write(`${packets}\n`);
