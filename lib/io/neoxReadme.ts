// The README.md of an export folder: what is in it and the launch commands for one GPU and for Slurm.
import type { ModelConfig } from '../tokenformer/config';
import type { NeoxTokenizer, NeoxTraining } from './neoxConfig';

export interface ReadmeInput {
  config: ModelConfig;
  root: string;
  step: number;
  tokenizer: NeoxTokenizer;
  training: NeoxTraining;
  start: 'finetune' | 'partial-init';
  summary: string[];
  files: string[];
}

export function neoxReadme(r: ReadmeInput): string {
  const c = r.config;
  const cfg = `${r.root}/config.yml`;
  const tok = {
    byte: 'HFTokenizer with `tokenizer.json` here: a byte-level BPE with 256 ids and no merges, so ids are the UTF-8 bytes, exactly as in the lab (vocabulary 256, no padding).',
    char: 'CharLevelTokenizer: ids are the UTF-8 bytes as in the lab, but its vocabulary is 512, so the embedding was padded with 256 zero rows that the softmax also covers.',
    bpe: 'HFTokenizer with the GPT-NeoX-20B `tokenizer.json`: put that file at `' + `${r.root}/tokenizer.json` + '` (it is not shipped with the export).',
  }[r.tokenizer];
  const start =
    r.start === 'finetune'
      ? [
          '`load` is `checkpoints/` with `finetune: true`: the trainer takes the weights only and starts at iteration 0 with a fresh optimizer and warmup.',
          '`save` is the same folder: once the run has saved its first checkpoint there, delete the `finetune` line before relaunching, so a restart resumes with its optimizer state.',
        ]
      : [
          '`pretrain_partial_init` is `checkpoints/` (the mechanism of the official incremental-scaling configs): a run whose `load` folder (`train/checkpoints`) is empty copies these weights in and starts at iteration 0;',
          'a restart finds its own checkpoints in `train/checkpoints` and resumes them with optimizer state. Raise the `*_slot_num` keys to grow on the cluster: new tokens get the reference init.',
        ];
  return [
    `# TokenFormer Lab export`,
    '',
    `A ${c.numLayers}-layer TokenFormer (hidden ${c.hiddenSize}, ${c.numHeads} heads, ${c.norm}) from TokenFormer Lab step ${r.step}, laid out for the official TokenFormer code`,
    '(GPT-NeoX + DeepSpeed, https://github.com/Haiyang-W/TokenFormer), with `pipe_parallel_size` and `model_parallel_size` 1.',
    '',
    '## What is here',
    '',
    ...r.files.sort().map((f) => `- \`${f}\``),
    '',
    ...r.summary.map((s) => `- ${s}`),
    `- Tokenizer: ${tok}`,
    `- Training: ${r.training.steps} iterations, lr ${r.training.lr} (cosine to ${r.training.minLr}, warmup ${r.training.warmupSteps} iterations), micro batch ${r.training.batchSize} x ${Math.min(r.training.seqLen, c.maxSeqLen)} tokens per GPU, ${r.training.precision} (the TokenFormer attention uses flash-attn, which needs fp16 or bf16).`,
    ...start.map((s) => `- ${s}`),
    '',
    '## Launch',
    '',
    `Copy this folder into the root of a TokenFormer checkout as \`${r.root}\` (the paths in config.yml are relative to it), then:`,
    '',
    'One GPU:',
    '',
    '```sh',
    `python deepy.py train.py ${cfg}`,
    '```',
    '',
    'A Slurm cluster: set `"launcher": "slurm"` and `"deepspeed_slurm": true` in config.yml (and, for more GPUs, the batch size per GPU), then from a job script:',
    '',
    '```sh',
    '#!/bin/bash',
    '#SBATCH --nodes=2 --ntasks-per-node=8 --gpus-per-node=8',
    `srun python deepy.py train.py ${cfg}`,
    '```',
    '',
    '## Bring it back',
    '',
    '```sh',
    `npm run -s tokenformer -- import-neox --checkpoint ${r.root}/${r.start === 'finetune' ? 'checkpoints' : 'train/checkpoints'} --out trained.safetensors`,
    '```',
    '',
    'or drop the `global_stepN` folder (or a zip of it) on the checkpoints widget in the lab.',
    '',
  ].join('\n');
}
