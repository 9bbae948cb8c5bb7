// examples/lib/char-model.mjs — the character-level data and model shared by the tfjs examples:
// Genesis (KJV) as character codes, random context windows as one-hot batches, and a small tfjs
// model: each of the CONTEXT previous characters embedded by a bias-free dense layer on its
// one-hot code (tfjs's embedding layer has a slow gradient on the pure-JS backend), then a hidden
// layer and the next character's logits.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";

export function loadText() {
  const text = readFileSync(new URL("../data/genesis-kjv.txt", import.meta.url), "utf8");
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  return { text, chars, index, ids: Int32Array.from(text, (c) => index.get(c)) };
}

/** A seeded uniform generator in [0, 1) (an LCG: plenty for sampling windows). */
export function random(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export const oneHot = (codes, shape, vocab) => tf.tidy(() => tf.oneHot(tf.tensor(codes, shape, "int32"), vocab).toFloat());

export function batches({ ids, chars }, { context, batch, seed }) {
  const rand = random(seed);
  return () => {
    const x = new Int32Array(batch * context), y = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const at = context + Math.floor(rand() * (ids.length - context));
      for (let k = 0; k < context; k++) x[b * context + k] = ids[at - context + k];
      y[b] = ids[at];
    }
    return { x: oneHot(x, [batch, context], chars.length), y: oneHot(y, [batch], chars.length) };
  };
}

export function charModel({ vocab, context, embed, hidden }) {
  return tf.sequential({
    layers: [
      tf.layers.dense({ name: "embed", units: embed, useBias: false, inputShape: [context, vocab], kernelInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 1 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: hidden, activation: "relu", kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }),
      tf.layers.dense({ units: vocab, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

export const softmaxLoss = (targets, logits) => tf.losses.softmaxCrossEntropy(targets, logits);
