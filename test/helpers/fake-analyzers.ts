/** Analyzers with fixed answers, for workflow tests: one that flags everything, one that finds a face. */
import { TransientError } from '../../core/errors.js';
import type { Analyzer, ModerationResult, SubjectsResult } from '../../core/ports/analyzer.js';

export class FixedAnalyzer implements Analyzer {
  readonly name = 'fixed-test-analyzer';
  /** Calls to detectSubjects that fail with a TransientError before it answers. */
  failSubjects = 0;
  moderateCalls = 0;

  constructor(
    private readonly options: { flag?: boolean; face?: { left: number; top: number; width: number; height: number } } = {},
  ) {}

  async moderate(): Promise<ModerationResult> {
    this.moderateCalls++;
    return {
      analyzer: this.name,
      ms: 0,
      labels: this.options.flag ? [{ name: 'Explicit Nudity', parentName: '', confidence: 99 }] : [{ name: 'Suggestive', parentName: '', confidence: 20 }],
    };
  }

  async detectSubjects(): Promise<SubjectsResult> {
    if (this.failSubjects > 0) {
      this.failSubjects--;
      throw new TransientError('Analyzer::Busy', 'The analyzer is busy (test).');
    }
    const face = this.options.face;
    return { analyzer: this.name, ms: 0, faces: face ? [{ ...face, kind: 'face', confidence: 99 }] : [] };
  }
}
