/** Tile geometry of the multi-scale flows: independent tiles of at most TILE x TILE pixels. */

export const TILE = 256;

export interface Tile {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Tiles in raster order. */
export function tileGrid(height: number, width: number): Tile[] {
  const tiles: Tile[] = [];
  for (let y = 0; y < height; y += TILE)
    for (let x = 0; x < width; x += TILE) tiles.push({ x, y, width: Math.min(TILE, width - x), height: Math.min(TILE, height - y) });
  return tiles;
}

/** A tile's samples minus 128, padded by edge replication to multiples of `multiple`. */
export function extractTile(samples: ArrayLike<number>, width: number, c: number, t: Tile, multiple: number) {
  const paddedHeight = Math.ceil(t.height / multiple) * multiple;
  const paddedWidth = Math.ceil(t.width / multiple) * multiple;
  const values = new Int32Array(paddedHeight * paddedWidth * c);
  for (let y = 0; y < paddedHeight; y++) {
    const sy = t.y + Math.min(y, t.height - 1);
    for (let x = 0; x < paddedWidth; x++) {
      const sx = t.x + Math.min(x, t.width - 1);
      for (let ch = 0; ch < c; ch++) values[(y * paddedWidth + x) * c + ch] = samples[(sy * width + sx) * c + ch] - 128;
    }
  }
  return { values, paddedHeight, paddedWidth };
}

/** Write a decoded tile (row stride `stride`, plus `offset`) into the image's interleaved samples. */
export function placeTile(out: ArrayLike<number> & { [i: number]: number }, width: number, c: number, t: Tile, values: ArrayLike<number>, stride: number, offset: number): void {
  for (let y = 0; y < t.height; y++)
    for (let x = 0; x < t.width; x++)
      for (let ch = 0; ch < c; ch++) out[((t.y + y) * width + t.x + x) * c + ch] = values[(y * stride + x) * c + ch] + offset;
}
