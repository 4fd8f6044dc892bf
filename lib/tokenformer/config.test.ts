// Config validation: every size bounded, every real-valued setting finite and in range, messages that say what is wrong.
import { describe, expect, test } from 'vitest';
import { CONFIG_LIMITS, ConfigError, fromReferenceConfig, preset, PRESETS, showValue, validateConfig, type ModelConfig } from './config';

const base = PRESETS.micro;
const problem = (overrides: Record<string, unknown>): string => {
  try {
    validateConfig({ ...base, ...overrides } as ModelConfig);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(overrides)}`);
};

describe('validateConfig', () => {
  test('accepts every preset and the limits themselves', () => {
    for (const p of Object.values(PRESETS)) expect(validateConfig(p)).toBe(p);
    const largest = { ...base, ...CONFIG_LIMITS, numHeads: 128 };
    expect(validateConfig(largest)).toBe(largest);
    expect(validateConfig({ ...base, rotaryPct: 0, layerNormEps: 1, initStd: 1, rotaryBase: 1e12 })).toBeTruthy();
  });

  const sizes = Object.keys(CONFIG_LIMITS) as (keyof typeof CONFIG_LIMITS)[];
  test.each(sizes)('%s: refuses zero, negatives, fractions, non-numbers, non-finite and huge values', (k) => {
    expect(problem({ [k]: 0 })).toBe(`config.${k} must be a positive integer, got 0`);
    expect(problem({ [k]: -4 })).toBe(`config.${k} must be a positive integer, got -4`);
    expect(problem({ [k]: 2.5 })).toBe(`config.${k} must be a positive integer, got 2.5`);
    expect(problem({ [k]: NaN })).toBe(`config.${k} must be a positive integer, got NaN`);
    expect(problem({ [k]: Infinity })).toBe(`config.${k} must be a positive integer, got Infinity`);
    expect(problem({ [k]: '32' })).toBe(`config.${k} must be a positive integer, got "32"`);
    expect(problem({ [k]: null })).toBe(`config.${k} must be a positive integer, got null`);
    expect(problem({ [k]: CONFIG_LIMITS[k] + 1 })).toMatch(new RegExp(`^config\\.${k} = ${CONFIG_LIMITS[k] + 1} is larger than this lab accepts \\(at most [\\d,]+\\)$`));
    expect(problem({ [k]: 3e8 })).toMatch(/= 300000000 is larger than this lab accepts/);
  });

  test.each([
    ['layerNormEps', -1, 'config.layerNormEps must be in [1e-30, 1], got -1'],
    ['layerNormEps', 0, 'config.layerNormEps must be in [1e-30, 1], got 0'],
    ['layerNormEps', 1e-40, 'config.layerNormEps must be in [1e-30, 1], got 1e-40'],
    ['layerNormEps', NaN, 'config.layerNormEps must be a finite number in [1e-30, 1], got NaN'],
    ['layerNormEps', 1e30, 'config.layerNormEps must be in [1e-30, 1], got 1e+30'],
    ['rotaryBase', 0, 'config.rotaryBase must be in (0, 1000000000000], got 0'],
    ['rotaryBase', -10000, 'config.rotaryBase must be in (0, 1000000000000], got -10000'],
    ['rotaryBase', Infinity, 'config.rotaryBase must be a finite number in (0, 1000000000000], got Infinity'],
    ['initStd', 0, 'config.initStd must be in (0, 1], got 0'],
    ['initStd', -0.02, 'config.initStd must be in (0, 1], got -0.02'],
    ['initStd', 1e30, 'config.initStd must be in (0, 1], got 1e+30'],
    ['initStd', '0.02', 'config.initStd must be a finite number in (0, 1], got "0.02"'],
    ['rotaryPct', 1.5, 'config.rotaryPct must be in [0, 1], got 1.5'],
    ['rotaryPct', -Infinity, 'config.rotaryPct must be a finite number in [0, 1], got -Infinity'],
  ])('%s = %s', (k, v, message) => {
    expect(problem({ [k]: v })).toBe(message);
  });

  test('consistency, names and kinds', () => {
    expect(problem({ numHeads: 5 })).toBe('config.hiddenSize 32 is not divisible by config.numHeads 5');
    expect(problem({ rotaryPct: 0.375 })).toBe('rotary dims floor(head dim 8 × config.rotaryPct 0.375) = 3 must be even');
    expect(problem({ norm: 'relu' })).toBe('unknown config.norm "relu" (expected l2_norm_gelu, gelu_l2_norm, softmax)');
    expect(problem({ arch: { evil: true } })).toBe('unknown arch {"evil":true} (expected tokenformer or transformer)');
    expect(problem({ ffnHidden: 0 })).toBe('config.ffnHidden must be a positive integer, got 0');
    expect(() => validateConfig(null as unknown as ModelConfig)).toThrow('a model config must be an object, got null');
  });

  test('presets refuse bad overrides', () => {
    expect(() => preset('micro', { layerNormEps: -1 })).toThrow(ConfigError);
    expect(() => preset('nope' as never)).toThrow(/unknown preset "nope"/);
  });
});

describe('fromReferenceConfig', () => {
  const ref = {
    num_layers: 2,
    hidden_size: 32,
    num_attention_heads: 4,
    qkv_slot_num: 24,
    proj_slot_num: 20,
    ffn_slot_num: 48,
    vocab_size: 64,
    rotary_pct: 0.25,
    layernorm_epsilon: 1e-5,
    max_position_embeddings: 64,
  };
  const refProblem = (o: Record<string, unknown>) => {
    try {
      fromReferenceConfig({ ...ref, ...o });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  test('names the reference setting, and shows non-finite numbers as they are (never "null")', () => {
    expect(fromReferenceConfig(ref).numLayers).toBe(2);
    expect(refProblem({ num_layers: 3e8 })).toBe('reference config "num_layers" = 300000000 is larger than this lab accepts (at most 256)');
    expect(refProblem({ num_layers: Infinity })).toBe('reference config "num_layers" must be a finite number, got Infinity');
    expect(refProblem({ hidden_size: NaN })).toBe('reference config "hidden_size" must be a finite number, got NaN');
    expect(refProblem({ layernorm_epsilon: -1 })).toBe('reference config "layernorm_epsilon" must be in [1e-30, 1], got -1');
    expect(refProblem({ vocab_size: 'lots' })).toBe('reference config "vocab_size" must be a finite number, got "lots"');
    expect(refProblem({ ffn_slot_num: 2 ** 21 })).toMatch(/"ffn_slot_num" = 2097152 is larger/);
    expect(refProblem({ seq_length: 1e6 })).toMatch(/"seq_length" = 1000000 is larger/);
  });

  test('vocabulary from the embedding when the config lacks one, padded_vocab_size otherwise', () => {
    const { vocab_size: _drop, ...noVocab } = ref;
    expect(fromReferenceConfig(noVocab, 80).vocabSize).toBe(80);
    expect(fromReferenceConfig({ ...noVocab, padded_vocab_size: 96 }).vocabSize).toBe(96);
    expect(() => fromReferenceConfig(noVocab)).toThrow(/no vocab_size/);
  });
});

test('showValue never prints JSON null for a number and keeps long values short', () => {
  expect(showValue(Infinity)).toBe('Infinity');
  expect(showValue(-Infinity)).toBe('-Infinity');
  expect(showValue(NaN)).toBe('NaN');
  expect(showValue(3e8)).toBe('300000000');
  expect(showValue('x'.repeat(500)).length).toBeLessThanOrEqual(60);
  expect(showValue(10n)).toBe('10n');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(showValue(cyclic)).toBe('[object Object]');
});
