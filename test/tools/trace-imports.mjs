// `node --import ./test/tools/trace-imports.mjs script`: appends every module URL the script resolves to
// the file named by FLOWZIP_IMPORT_LOG (the package test checks that the library loads no tfjs).
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.FLOWZIP_IMPORT_LOG, resolved.url + '\\n');
  return resolved;
}`;
register('data:text/javascript,' + encodeURIComponent(hook));
