// Regenerates promptfoo's published config JSON Schema (https://promptfoo.dev/config-schema.json)
// from the installed npm package, the way promptfoo's scripts/generateJsonSchema.ts does.
// Run it with NODE_PATH pointing at the node_modules that holds promptfoo (see README.md).
const { z } = require('zod');
const { UnifiedConfigSchema } = require('promptfoo');

function getInnerSchema(schema) {
  const def = schema._def;
  return def && def.in ? def.in : schema;
}
function getBaseSchema(schema) {
  const def = schema._def || {};
  if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) return getBaseSchema(def.innerType);
  if ((def.type === 'pipe' || def.type === 'transform') && def.in) return getBaseSchema(def.in);
  return schema;
}
function fill(ctx) {
  if (Object.keys(ctx.jsonSchema).length === 0) {
    const result = z.toJSONSchema(getBaseSchema(ctx.zodSchema), { unrepresentable: 'any' });
    const { $schema: _, ...rest } = result;
    Object.assign(ctx.jsonSchema, rest);
  }
}
const content = z.toJSONSchema(getInnerSchema(UnifiedConfigSchema), {
  unrepresentable: 'any',
  override: (ctx) => {
    const def = ctx.zodSchema._def || {};
    if ((def.type === 'optional' || def.type === 'nullable') && def.innerType) {
      const inner = def.innerType._def || {};
      if (inner.type === 'pipe' || inner.type === 'transform') fill(ctx);
    }
    if ((def.type === 'pipe' || def.type === 'transform') && def.in) fill(ctx);
  },
});
const { $schema: _, ...withoutMeta } = content;
const schema = {
  $ref: '#/definitions/PromptfooConfigSchema',
  definitions: { PromptfooConfigSchema: withoutMeta },
  $schema: 'http://json-schema.org/draft-07/schema#',
};
process.stdout.write(JSON.stringify(schema, null, 2) + '\n');
