// Screenshots from the X server: the app's window as it is on the (Xvfb) screen, read with
// `xwd` (x11-apps) and written as PNG here. The app paints in software on Linux, and
// WebKitGTK 2.50's automation snapshot (WebDriver "take screenshot") never answers in that
// mode, so the X server is the source; it is also exactly what a person sees.

import { execFileSync } from "node:child_process";
import { crc32, deflateSync, inflateSync } from "node:zlib";

/** The PNG of the top-level window titled `title` on $DISPLAY. */
export function windowPng(title = "IoT Provisioner") {
  const xwd = execFileSync("xwd", ["-silent", "-name", title], { maxBuffer: 64 << 20 });
  return xwdToPng(xwd);
}

/** Decodes an XWD dump (ZPixmap, 24/32 bits a pixel, TrueColor) into a PNG (RGB, 8 bits). */
export function xwdToPng(buf) {
  const h = (i) => buf.readUInt32BE(i * 4);
  const [headerSize, format, width, height, byteOrder, bpp, bytesPerLine] = [h(0), h(2), h(4), h(5), h(7), h(11), h(12)];
  const [redMask, greenMask, blueMask, ncolors] = [h(14), h(15), h(16), h(19)];
  if (format !== 2 || (bpp !== 32 && bpp !== 24)) throw new Error(`unsupported XWD: format ${format}, ${bpp} bits a pixel`);
  const shift = (mask) => 31 - Math.clz32(mask & -mask);
  const [rs, gs, bs] = [shift(redMask), shift(greenMask), shift(blueMask)];
  const data = headerSize + ncolors * 12;
  const step = bpp / 8;
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const out = y * (1 + width * 3);
    raw[out] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const at = data + y * bytesPerLine + x * step;
      let p = 0;
      for (let k = 0; k < step; k++) {
        const byte = buf[byteOrder === 0 ? at + k : at + step - 1 - k];
        p += byte * 2 ** (8 * k);
      }
      const o = out + 1 + x * 3;
      raw[o] = (p / 2 ** rs) & 0xff;
      raw[o + 1] = (p / 2 ** gs) & 0xff;
      raw[o + 2] = (p / 2 ** bs) & 0xff;
    }
  }
  const chunk = (type, body) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const tb = Buffer.concat([Buffer.from(type, "ascii"), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(tb) >>> 0);
    return Buffer.concat([len, tb, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** How many different colours the PNG's pixels use, up to `cap` (a blank window has one). */
export function colourCount(png, cap = 64) {
  // Only for our own PNGs above: one IDAT, RGB, filter none.
  const w = png.readUInt32BE(16);
  const idat = png.indexOf("IDAT", 0, "ascii");
  const len = png.readUInt32BE(idat - 4);
  const raw = inflateSync(png.subarray(idat + 4, idat + 4 + len));
  const seen = new Set();
  for (let i = 0; i < raw.length && seen.size < cap; i += 1 + w * 3) {
    for (let x = 0; x < w && seen.size < cap; x++) seen.add(raw.readUIntBE(i + 1 + x * 3, 3));
  }
  return seen.size;
}
