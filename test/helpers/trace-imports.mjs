// Loaded with `node --import`: records every module URL the process resolves into $K8SUP_TRACE_IMPORTS, so a test
// can prove which packages a command loads.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.K8SUP_TRACE_IMPORTS) appendFileSync(process.env.K8SUP_TRACE_IMPORTS, r.url + '\\n');
  return r;
}`),
);
// CommonJS requires (SDKs are CJS) do not pass through ESM hooks; record them too.
const { default: Module } = await import('node:module');
const { appendFileSync } = await import('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (process.env.K8SUP_TRACE_IMPORTS) appendFileSync(process.env.K8SUP_TRACE_IMPORTS, `cjs:${request}\n`);
  return load.call(this, request, parent, isMain);
};
