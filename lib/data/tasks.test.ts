// Every generated line is correct per its own scorer; the scorer rejects near misses and bad prompts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exactMatchAccuracy, generateExample, scoreCompletion, solvePrompt, SYNTHETIC_TASKS, TASK_KINDS } from './tasks';
import { createRng } from './rng';
import { DataError } from './errors';

const taskArb = fc.constantFrom(...SYNTHETIC_TASKS);

describe('synthetic task lines', () => {
  it('are scored correct by the scorer, and a changed answer is scored wrong', () => {
    fc.assert(
      fc.property(taskArb, fc.integer(), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 200 }), (task, seed, maxLen, modulus) => {
        const rng = createRng(seed);
        for (let i = 0; i < 20; i++) {
          const ex = generateExample(task, rng, { maxLen, modulus });
          expect(ex.line).toBe(`${ex.prompt}${ex.answer}\n`);
          expect(ex.line.indexOf('\n')).toBe(ex.line.length - 1); // one line per example
          expect(ex.prompt).toMatch(/^[a-z]+: /);
          expect(TASK_KINDS[task]).toContain(ex.prompt.slice(0, ex.prompt.indexOf(':')));
          expect(scoreCompletion(ex.prompt, `${ex.answer}\nnext line`, { maxLen, modulus })).toEqual({
            correct: true,
            expected: ex.answer,
            got: ex.answer,
          });
          expect(scoreCompletion(ex.prompt, `${ex.answer}x\n`, { maxLen, modulus }).correct).toBe(false);
          expect(scoreCompletion(ex.prompt, ex.answer, { maxLen, modulus }).correct).toBe(false); // unterminated
        }
      }),
      { numRuns: 60 },
    );
  });

  it('respect maxLen and the modulus', () => {
    const rng = createRng(1);
    for (let i = 0; i < 300; i++) {
      const ex = generateExample('mix', rng, { maxLen: 6, modulus: 13 });
      const input = ex.prompt.slice(ex.prompt.indexOf(' ') + 1, -1);
      if (ex.prompt.startsWith('add')) {
        for (const x of input.split('+')) expect(+x).toBeLessThan(13);
        expect(+ex.answer).toBeLessThan(13);
      } else {
        expect(input.length).toBeLessThanOrEqual(6);
      }
    }
  });

  it('cover every line kind of a task, with balanced yes/no both common', () => {
    const rng = createRng(2);
    const seen = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const ex = generateExample('mix', rng);
      const key = ex.prompt.startsWith('balanced') ? `balanced-${ex.answer}` : ex.prompt.slice(0, ex.prompt.indexOf(':'));
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const k of ['copy', 'reverse', 'sort', 'add', 'close', 'balanced-yes', 'balanced-no']) {
      expect(seen.get(k) ?? 0).toBeGreaterThan(20);
    }
  });

  it('match the examples in the docs', () => {
    expect(solvePrompt('copy: abc|')).toBe('abc');
    expect(solvePrompt('reverse: abc|')).toBe('cba');
    expect(solvePrompt('sort: dbca|')).toBe('abcd');
    expect(solvePrompt('add: 17+25=')).toBe('42');
    expect(solvePrompt('add: 60+50=')).toBe('13');
    expect(solvePrompt('add: 6+5=', { modulus: 10 })).toBe('1');
    expect(solvePrompt('balanced: ([]){}|')).toBe('yes');
    expect(solvePrompt('balanced: ([)]|')).toBe('no');
    expect(solvePrompt('close: ([{|')).toBe('}])');
  });

  it('reject prompts that are not task prompts with bad-prompt', () => {
    for (const p of ['hello', 'copy: abc', 'copy: ab1|', 'add: 17+25|', 'add: 99+1=', 'add: 07+1=', 'close: ()|', 'close: (]|', 'nope: a|']) {
      expect(() => solvePrompt(p), p).toThrow(DataError);
    }
  });

  it('unknown tasks are rejected with bad-option', () => {
    expect(() => generateExample('nope' as 'copy', createRng(0))).toThrow(/unknown synthetic task/);
  });

  it('exactMatchAccuracy counts exact matches', () => {
    expect(exactMatchAccuracy(['reverse: ab|', 'add: 1+2=', 'sort: ba|'], ['ba\n', '4\n', 'ab\n'])).toBeCloseTo(2 / 3);
    expect(() => exactMatchAccuracy(['copy: a|'], [])).toThrow(DataError);
  });
});
