// Face crops for the landmark and recognition nets, cut from decoded RGB pixels.
import type * as FaceApi from '@vladmandic/face-api';

type Tf = typeof import('@tensorflow/tfjs');

/**
 * face-api's extractFaceTensors without a tensor of the whole image: each box clipped and floored by
 * face-api's own Rect method, then only its pixels copied into an int32 tensor. The same crops, so the same
 * landmarks and encodings, for a fraction of the copying. Boxes clipped to nothing are dropped, as there.
 */
export function faceCrops(
  tf: Tf,
  rgb: { pixels: Uint8Array; width: number; height: number },
  boxes: FaceApi.Box[],
): FaceApi.tf.Tensor3D[] {
  const crops: FaceApi.tf.Tensor3D[] = [];
  for (const box of boxes) {
    const { x, y, width, height } = box.clipAtImageBorders(rgb.width, rgb.height);
    if (width <= 0 || height <= 0) continue;
    const data = new Int32Array(width * height * 3);
    const row = width * 3;
    for (let r = 0; r < height; r++) {
      const from = ((y + r) * rgb.width + x) * 3;
      // Int32Array.set widens each byte, as tf.tensor3d(uint8, 'int32') does.
      data.set(rgb.pixels.subarray(from, from + row), r * row);
    }
    crops.push(tf.tensor3d(data, [height, width, 3], 'int32') as unknown as FaceApi.tf.Tensor3D);
  }
  return crops;
}
