/** node:os for the browser build: the models code on one thread inside the page's worker. */
export function availableParallelism(): number {
  return 1;
}
