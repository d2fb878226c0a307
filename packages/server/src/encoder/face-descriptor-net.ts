import type * as Tf from '@tensorflow/tfjs';

type Tfjs = typeof import('@tensorflow/tfjs');

interface ConvLayerParams {
  conv: { filters: Tf.Tensor4D; bias: Tf.Tensor1D };
  scale: { weights: Tf.Tensor1D; biases: Tf.Tensor1D };
}
interface ResidualParams {
  conv1: ConvLayerParams;
  conv2: ConvLayerParams;
}
/** The parts of face-api's loaded FaceRecognitionNet params this net reads. */
export type FaceRecognitionParams = Record<string, ConvLayerParams | ResidualParams | Tf.Tensor2D> & {
  conv32_down: ConvLayerParams;
  fc: Tf.Tensor2D;
};
interface FusedConv {
  filter: Tf.Tensor4D;
  bias: Tf.Tensor1D;
}

const BLOCKS = [
  'conv32_1',
  'conv32_2',
  'conv32_3',
  'conv64_down',
  'conv64_1',
  'conv64_2',
  'conv64_3',
  'conv128_down',
  'conv128_1',
  'conv128_2',
  'conv256_down',
  'conv256_1',
  'conv256_2',
  'conv256_down_out',
] as const;

/** The recognition net's input side and dlib's mean RGB it subtracts. */
const INPUT_SIDE = 150;
const MEAN_RGB = [122.782, 117.001, 104.298];

/**
 * face-api's ResNet-34 recognition net (dlib's 128-d face descriptor), from the same weights, with each
 * conv + bias + scale layer folded into one fused convolution, and every face of an image in one batch.
 * Input preparation is face-api's: centre-pad the aligned crop to a square with black, resize
 * bilinearly to 150×150, subtract dlib's mean, divide by 255.
 */
export class FaceDescriptorNet {
  readonly #tf: Tfjs;
  readonly #first: FusedConv;
  readonly #blocks: Array<{ down: boolean; conv1: FusedConv; conv2: FusedConv }>;
  readonly #fc: Tf.Tensor2D;
  readonly #mean: Tf.Tensor1D;

  constructor(tf: Tfjs, params: FaceRecognitionParams) {
    this.#tf = tf;
    this.#first = foldScale(tf, params.conv32_down);
    this.#blocks = BLOCKS.map((name) => {
      const block = params[name] as ResidualParams;
      return {
        down: name.includes('down'),
        conv1: foldScale(tf, block.conv1),
        conv2: foldScale(tf, block.conv2),
      };
    });
    this.#fc = params.fc;
    this.#mean = tf.keep(tf.tensor1d(MEAN_RGB));
  }

  /** One 128-d descriptor per aligned face crop (RGB, any size). */
  async compute(crops: Tf.Tensor3D[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    const tf = this.#tf;
    const out = tf.tidy(() => this.#forward(tf.stack(crops.map((c) => this.#prepare(c))) as Tf.Tensor4D));
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return crops.map((_, i) => data.slice(i * 128, (i + 1) * 128));
  }

  #prepare(crop: Tf.Tensor3D): Tf.Tensor3D {
    const tf = this.#tf;
    const [h, w] = crop.shape;
    let image = tf.cast(crop, 'float32');
    if (h !== w) {
      const diff = Math.abs(h - w);
      const after = Math.round(diff / 2);
      const before = diff - after;
      image = tf.pad(
        image,
        h > w
          ? [
              [0, 0],
              [before, after],
              [0, 0],
            ]
          : [
              [before, after],
              [0, 0],
              [0, 0],
            ],
      );
    }
    if (image.shape[0] !== INPUT_SIDE)
      image = tf.image.resizeBilinear(image, [INPUT_SIDE, INPUT_SIDE], false, false);
    return image;
  }

  #forward(batch: Tf.Tensor4D): Tf.Tensor2D {
    const tf = this.#tf;
    const conv = (
      x: Tf.Tensor4D,
      p: FusedConv,
      strides: 1 | 2,
      relu: boolean,
      pad: 'same' | 'valid' = 'same',
    ) =>
      tf.fused.conv2d({
        x,
        filter: p.filter,
        strides,
        pad,
        bias: p.bias,
        activation: relu ? 'relu' : 'linear',
      });
    let out = tf.div(tf.sub(batch, this.#mean), 255) as Tf.Tensor4D;
    out = conv(out, this.#first, 2, true, 'valid');
    out = tf.maxPool(out, 3, 2, 'valid') as Tf.Tensor4D;
    for (const block of this.#blocks) {
      if (!block.down) {
        const y = conv(conv(out, block.conv1, 1, true), block.conv2, 1, false);
        out = tf.relu(tf.add(y, out)) as Tf.Tensor4D;
        continue;
      }
      let y = conv(conv(out, block.conv1, 2, true, 'valid'), block.conv2, 1, false);
      let shortcut = tf.avgPool(out, 2, 2, 'valid') as Tf.Tensor4D;
      // Odd sizes: the strided branch is one row and column short; channels double with zeros.
      if (shortcut.shape[1] !== y.shape[1] || shortcut.shape[2] !== y.shape[2]) {
        y = tf.pad(y, [
          [0, 0],
          [0, 1],
          [0, 1],
          [0, 0],
        ]);
      }
      if (shortcut.shape[3] !== y.shape[3]) {
        shortcut = tf.pad(shortcut, [
          [0, 0],
          [0, 0],
          [0, 0],
          [0, y.shape[3] - shortcut.shape[3]],
        ]);
      }
      out = tf.relu(tf.add(shortcut, y)) as Tf.Tensor4D;
    }
    return tf.matMul(tf.mean(out, [1, 2]) as Tf.Tensor2D, this.#fc);
  }

  dispose(): void {
    for (const t of [this.#first, ...this.#blocks.flatMap((b) => [b.conv1, b.conv2])]) {
      t.filter.dispose();
      t.bias.dispose();
    }
    this.#mean.dispose();
  }
}

/** Folds a conv layer's bias and the scale layer after it into one filter and bias. */
function foldScale(tf: Tfjs, p: ConvLayerParams): FusedConv {
  return tf.tidy(() => ({
    filter: tf.keep(tf.mul(p.conv.filters, tf.reshape(p.scale.weights, [1, 1, 1, -1])) as Tf.Tensor4D),
    bias: tf.keep(tf.add(tf.mul(p.conv.bias, p.scale.weights), p.scale.biases) as Tf.Tensor1D),
  }));
}
