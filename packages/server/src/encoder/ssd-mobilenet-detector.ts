import type * as Tf from '@tensorflow/tfjs';
import { SSD_ANCHORS_PER_CELL, ssdAnchors } from './ssd-anchors.js';

type Tfjs = typeof import('@tensorflow/tfjs');

/** The parts of face-api's loaded SsdMobilenetv1 params this detector reads. */
export interface SsdParams {
  mobilenetv1: Record<
    string,
    PointwiseParams | { depthwise_conv: DepthwiseParams; pointwise_conv: PointwiseParams }
  >;
  prediction_layer: Record<string, PointwiseParams | BoxPredictorParams>;
}
interface PointwiseParams {
  filters: Tf.Tensor4D;
  batch_norm_offset: Tf.Tensor1D;
}
interface DepthwiseParams {
  filters: Tf.Tensor4D;
  batch_norm_scale: Tf.Tensor1D;
  batch_norm_offset: Tf.Tensor1D;
  batch_norm_mean: Tf.Tensor1D;
  batch_norm_variance: Tf.Tensor1D;
}
interface BoxPredictorParams {
  box_encoding_predictor: { filters: Tf.Tensor4D; bias: Tf.Tensor1D };
  class_predictor: { filters: Tf.Tensor4D; bias: Tf.Tensor1D };
}
interface FusedConv {
  filter: Tf.Tensor4D;
  bias: Tf.Tensor1D;
}

/** A face found by the detector, its box in pixels of the image it was given. */
export interface Detection {
  score: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectOptions {
  /** Lowest score kept. */
  minScore: number;
  /** Most detections returned, best first. */
  maxResults: number;
  /**
   * Black border, in pixels, added on every side before detection. A face cut by the frame edge is then
   * inside the input, next to black as in face-api's square padding, rather than against the convs'
   * zero (mid-grey) padding. Default 0.
   */
  border?: number;
}

const BN_EPSILON = 0.0010000000474974513;
const IOU_THRESHOLD = 0.5;
const STRIDE_2_LAYERS = new Set([2, 4, 6, 12]);

/**
 * face-api's SSD MobileNet v1, run from the same weights with fewer, larger operations and on any
 * input size. face-api resizes every image to a fixed 512×512 square and runs each convolution as
 * conv + batch-norm + clip; here batch norm is folded into the weights once, each layer is one fused
 * conv with bias and ReLU6, the input keeps its aspect ratio (padded to a multiple of 32), and the
 * anchors are generated for that size. At 512 it returns face-api's detections; a smaller input costs
 * proportionally less.
 */
export class SsdMobilenetDetector {
  readonly #tf: Tfjs;
  readonly #conv0: FusedConv;
  readonly #pairs: Array<{ depthwise: FusedConv; pointwise: FusedConv; stride: 1 | 2 }>;
  readonly #extra: FusedConv[];
  readonly #heads: FusedConv[];
  readonly #anchors = new Map<string, Float32Array>();

  constructor(tf: Tfjs, params: SsdParams) {
    this.#tf = tf;
    const mobilenet = params.mobilenetv1;
    const pointwise = (p: PointwiseParams): FusedConv => ({ filter: p.filters, bias: p.batch_norm_offset });
    this.#conv0 = pointwise(mobilenet.conv_0 as PointwiseParams);
    this.#pairs = Array.from({ length: 13 }, (_, i) => {
      const layer = mobilenet[`conv_${i + 1}`] as {
        depthwise_conv: DepthwiseParams;
        pointwise_conv: PointwiseParams;
      };
      return {
        depthwise: foldBatchNorm(tf, layer.depthwise_conv),
        pointwise: pointwise(layer.pointwise_conv),
        stride: STRIDE_2_LAYERS.has(i + 1) ? 2 : 1,
      };
    });
    const prediction = params.prediction_layer;
    this.#extra = Array.from({ length: 8 }, (_, i) => pointwise(prediction[`conv_${i}`] as PointwiseParams));
    // One convolution per feature map computes both the box encodings and the class logits.
    this.#heads = Array.from({ length: 6 }, (_, i) => {
      const p = prediction[`box_predictor_${i}`] as BoxPredictorParams;
      return tf.tidy(() => ({
        filter: tf.keep(tf.concat([p.box_encoding_predictor.filters, p.class_predictor.filters], 3)),
        bias: tf.keep(tf.concat([p.box_encoding_predictor.bias, p.class_predictor.bias], 0)),
      }));
    });
  }

  /**
   * Detects faces in RGB `pixels` (8-bit, `width`×`height`), which should already be at the size the
   * detector is meant to see (its longest side ≤ ~512 px).
   */
  async detect(
    pixels: Uint8Array,
    width: number,
    height: number,
    options: DetectOptions,
  ): Promise<Detection[]> {
    const tf = this.#tf;
    const border = Math.max(0, Math.round(options.border ?? 0));
    const paddedH = Math.ceil((height + 2 * border) / 32) * 32;
    const paddedW = Math.ceil((width + 2 * border) / 32) * 32;
    const { outputs, featureMaps } = tf.tidy(() => {
      const image = tf.tensor4d(pixels, [1, height, width, 3], 'int32');
      // Normalised to -1..1; the padding is black (-1), as face-api pads.
      const x = tf.pad(
        tf.sub(tf.div(tf.cast(image, 'float32'), 127.5), 1),
        [
          [0, 0],
          [border, paddedH - height - border],
          [border, paddedW - width - border],
          [0, 0],
        ],
        -1,
      ) as Tf.Tensor4D;
      return this.#forward(x);
    });
    const data = await Promise.all(outputs.map((o) => o.data() as Promise<Float32Array>));
    for (const o of outputs) o.dispose();
    const anchors = this.#anchorsFor(featureMaps, paddedH, paddedW);

    const candidates: Array<{ score: number; box: [number, number, number, number] }> = [];
    const minLogit = Math.log(options.minScore / (1 - options.minScore));
    let anchor = 0;
    data.forEach((values, level) => {
      const perCell = SSD_ANCHORS_PER_CELL[level] as number;
      const boxChannels = perCell * 4;
      const stride = boxChannels + perCell * 3;
      const cells = values.length / stride;
      for (let cell = 0; cell < cells; cell++) {
        for (let k = 0; k < perCell; k++, anchor++) {
          // Class 1 of (background, face, unused) is the face logit; sigmoid is monotone, so test the logit.
          const logit = values[cell * stride + boxChannels + k * 3 + 1] as number;
          if (!(logit > minLogit)) continue;
          const o = cell * stride + k * 4;
          const a = anchor * 4;
          const ay0 = anchors[a] as number;
          const ax0 = anchors[a + 1] as number;
          const ah = (anchors[a + 2] as number) - ay0;
          const aw = (anchors[a + 3] as number) - ax0;
          const cy = ((values[o] as number) / 10) * ah + ay0 + ah / 2;
          const cx = ((values[o + 1] as number) / 10) * aw + ax0 + aw / 2;
          const hh = (Math.exp((values[o + 2] as number) / 5) * ah) / 2;
          const hw = (Math.exp((values[o + 3] as number) / 5) * aw) / 2;
          candidates.push({ score: 1 / (1 + Math.exp(-logit)), box: [cy - hh, cx - hw, cy + hh, cx + hw] });
        }
      }
    });

    return nonMaxSuppression(candidates, IOU_THRESHOLD, options.maxResults).map(({ score, box }) => {
      // Boxes are fractions of the padded input; clip to the image itself.
      const top = Math.max(0, box[0] * paddedH - border);
      const left = Math.max(0, box[1] * paddedW - border);
      const bottom = Math.min(height, box[2] * paddedH - border);
      const right = Math.min(width, box[3] * paddedW - border);
      return { score, x: left, y: top, width: Math.max(0, right - left), height: Math.max(0, bottom - top) };
    });
  }

  #forward(x: Tf.Tensor4D): { outputs: Tf.Tensor[]; featureMaps: Array<[number, number]> } {
    const tf = this.#tf;
    const conv = (input: Tf.Tensor4D, p: FusedConv, strides: 1 | 2): Tf.Tensor4D =>
      tf.fused.conv2d({
        x: input,
        filter: p.filter,
        strides,
        pad: 'same',
        bias: p.bias,
        activation: 'relu6',
      });
    let out = conv(x, this.#conv0, 2);
    let conv11 = out;
    this.#pairs.forEach((pair, i) => {
      out = tf.fused.depthwiseConv2d({
        x: out,
        filter: pair.depthwise.filter,
        strides: pair.stride,
        pad: 'same',
        bias: pair.depthwise.bias,
        activation: 'relu6',
      });
      out = conv(out, pair.pointwise, 1);
      if (i + 1 === 11) conv11 = out;
    });
    const e = this.#extra as [
      FusedConv,
      FusedConv,
      FusedConv,
      FusedConv,
      FusedConv,
      FusedConv,
      FusedConv,
      FusedConv,
    ];
    const c1 = conv(conv(out, e[0], 1), e[1], 2);
    const c3 = conv(conv(c1, e[2], 1), e[3], 2);
    const c5 = conv(conv(c3, e[4], 1), e[5], 2);
    const c7 = conv(conv(c5, e[6], 1), e[7], 2);
    const features = [conv11, out, c1, c3, c5, c7];
    const outputs = features.map((f, i) => {
      const head = this.#heads[i] as FusedConv;
      return tf.fused.conv2d({ x: f, filter: head.filter, strides: 1, pad: 'same', bias: head.bias });
    });
    return { outputs, featureMaps: features.map((f) => [f.shape[1], f.shape[2]]) };
  }

  #anchorsFor(featureMaps: Array<[number, number]>, height: number, width: number): Float32Array {
    const key = `${height}x${width}`;
    let anchors = this.#anchors.get(key);
    if (!anchors) {
      anchors = ssdAnchors(featureMaps, height, width);
      if (this.#anchors.size > 64) this.#anchors.clear();
      this.#anchors.set(key, anchors);
    }
    return anchors;
  }

  dispose(): void {
    for (const t of [this.#pairs.map((p) => p.depthwise), this.#heads].flat()) {
      t.filter.dispose();
      t.bias.dispose();
    }
  }
}

/** Folds batch norm into a depthwise convolution's filter and bias. */
function foldBatchNorm(tf: Tfjs, p: DepthwiseParams): FusedConv {
  return tf.tidy(() => {
    const multiplier = tf.div(p.batch_norm_scale, tf.sqrt(tf.add(p.batch_norm_variance, BN_EPSILON)));
    return {
      filter: tf.keep(tf.mul(p.filters, tf.reshape(multiplier, [1, 1, -1, 1])) as Tf.Tensor4D),
      bias: tf.keep(tf.sub(p.batch_norm_offset, tf.mul(p.batch_norm_mean, multiplier)) as Tf.Tensor1D),
    };
  });
}

/** Greedy NMS, best score first, as face-api does it. */
function nonMaxSuppression<T extends { score: number; box: [number, number, number, number] }>(
  candidates: T[],
  iouThreshold: number,
  maxResults: number,
): T[] {
  candidates.sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const c of candidates) {
    if (kept.length >= maxResults) break;
    if (kept.every((k) => iou(k.box, c.box) <= iouThreshold)) kept.push(c);
  }
  return kept;
}

function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  const areaA = (a[2] - a[0]) * (a[3] - a[1]);
  const areaB = (b[2] - b[0]) * (b[3] - b[1]);
  if (areaA <= 0 || areaB <= 0) return 0;
  const h = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const w = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  return (h * w) / (areaA + areaB - h * w);
}
