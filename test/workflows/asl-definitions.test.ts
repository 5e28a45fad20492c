/**
 * shutter's own state machines are valid ASL. `shutter serve` trusts them (the local engine skips
 * the ASL validator for them, which would hold ~16 MB for the process's life): this is where they
 * are validated instead, and where a definition from elsewhere is shown to be checked still.
 */
import { prepareDefinition } from '../../workflows/engine/asl-workflow-engine.js';
import { BACKFILL_WORKFLOW_ASL } from '../../workflows/asl/backfill-workflow.asl.js';
import { IMAGE_WORKFLOW_ASL } from '../../workflows/asl/image-workflow.asl.js';

test.each([
  ['image', IMAGE_WORKFLOW_ASL],
  ['backfill', BACKFILL_WORKFLOW_ASL],
])('the %s workflow passes the ASL validator', (_name, definition) => {
  expect(() => prepareDefinition(definition)).not.toThrow();
});

const BROKEN = { StartAt: 'Missing', States: { Done: { Type: 'Succeed' } } };

test('a definition not marked as validated is validated', () => {
  expect(() => prepareDefinition(BROKEN)).toThrow();
});

test('a definition marked as validated skips the validator', () => {
  expect(() => prepareDefinition(BROKEN, { validated: true })).not.toThrow();
});
