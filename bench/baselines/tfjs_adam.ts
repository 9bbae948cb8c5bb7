// bench/baselines/tfjs_adam.ts — TensorFlow.js's AdamOptimizer (tf.train.adam) on the pure-JS cpu
// backend (@tensorflow/tfjs-backend-cpu): what a tfjs training loop in Node runs without
// tfjs-node's native binary.
import * as tf from "@tensorflow/tfjs";

export async function tfjsAdam(sizes: number[], fill: (n: number) => Float32Array): Promise<{ step: () => void; dispose: () => void; version: string }> {
  await tf.setBackend("cpu");
  await tf.ready();
  const vars = sizes.map((n, i) => tf.variable(tf.tensor1d(fill(n)), true, `bench_p${i}_${Date.now()}`));
  const grads: { name: string; tensor: tf.Tensor }[] = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor1d(fill(sizes[i]!).map((x) => x * 1e-2)) }));
  const optimizer = tf.train.adam(1e-3);
  return {
    step: () => optimizer.applyGradients(grads),
    dispose: () => {
      optimizer.dispose();
      for (const v of vars) v.dispose();
      for (const g of grads) g.tensor.dispose();
    },
    version: tf.version.tfjs,
  };
}
