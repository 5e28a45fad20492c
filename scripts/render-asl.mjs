// Renders the CDK-defined state machines to ASL and writes them to workflows/asl/, where the
// local engine loads them without aws-cdk-lib. Run after changing a definition: `npm run asl`.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleForNode } from './bundle-node.mjs';

const out = path.resolve('.cache/render-asl.mjs');
mkdirSync(path.dirname(out), { recursive: true });
await bundleForNode('workflows/render-asl.ts', out);
const { renderImageWorkflowAsl, renderBackfillWorkflowAsl, aslModuleSource } = await import(pathToFileURL(out).href);
writeFileSync('workflows/asl/image-workflow.asl.ts', aslModuleSource('IMAGE_WORKFLOW_ASL', renderImageWorkflowAsl(), 'workflows/image-workflow.ts'));
writeFileSync('workflows/asl/backfill-workflow.asl.ts', aslModuleSource('BACKFILL_WORKFLOW_ASL', renderBackfillWorkflowAsl('inline'), 'workflows/backfill-workflow.ts (inline mode)'));
console.log('wrote workflows/asl/image-workflow.asl.ts and workflows/asl/backfill-workflow.asl.ts');
