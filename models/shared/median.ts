/** LOCO-I's median edge predictor from the W, N and NW neighbours: min/max at an edge, else W + N - NW. */
export function medianEdge(w: number, n: number, nw: number): number {
  const mx = w > n ? w : n;
  const mn = w > n ? n : w;
  if (nw >= mx) return mn;
  if (nw <= mn) return mx;
  return w + n - nw;
}
