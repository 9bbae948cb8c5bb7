// bench/lib/models.ts — parameter lists shaped like real models, for memory and throughput runs.
export interface ParamSpec {
  name: string;
  shape: number[];
  /** norms and biases: the usual no-decay group */
  noDecay: boolean;
}

/** GPT-2 (Radford et al. 2019) parameter shapes: token/position embeddings, n blocks, final norm. */
export function gpt2(layers = 12, d = 768, vocab = 50257, context = 1024): ParamSpec[] {
  const out: ParamSpec[] = [
    { name: "wte", shape: [vocab, d], noDecay: false },
    { name: "wpe", shape: [context, d], noDecay: false },
  ];
  for (let l = 0; l < layers; l++) {
    const b = `h.${l}`;
    out.push(
      { name: `${b}.ln_1.weight`, shape: [d], noDecay: true },
      { name: `${b}.ln_1.bias`, shape: [d], noDecay: true },
      { name: `${b}.attn.c_attn.weight`, shape: [d, 3 * d], noDecay: false },
      { name: `${b}.attn.c_attn.bias`, shape: [3 * d], noDecay: true },
      { name: `${b}.attn.c_proj.weight`, shape: [d, d], noDecay: false },
      { name: `${b}.attn.c_proj.bias`, shape: [d], noDecay: true },
      { name: `${b}.ln_2.weight`, shape: [d], noDecay: true },
      { name: `${b}.ln_2.bias`, shape: [d], noDecay: true },
      { name: `${b}.mlp.c_fc.weight`, shape: [d, 4 * d], noDecay: false },
      { name: `${b}.mlp.c_fc.bias`, shape: [4 * d], noDecay: true },
      { name: `${b}.mlp.c_proj.weight`, shape: [4 * d, d], noDecay: false },
      { name: `${b}.mlp.c_proj.bias`, shape: [d], noDecay: true },
    );
  }
  out.push({ name: "ln_f.weight", shape: [d], noDecay: true }, { name: "ln_f.bias", shape: [d], noDecay: true });
  return out;
}

export const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
