/**
 * How many images (or noisy copies, occluded variants) one model call takes by default. On a CPU a large
 * image gains nothing from a large batch and loses memory: resnet18 at 224×224×3 on 2 threads costs 33 ms per
 * image for forward + input gradient at batch 1–8, 41 ms at 16 and 52 ms at 64, and its gradient graph holds
 * about 45 MB per image of the batch (64 images: 4 GB for one session). So the default batch is as many
 * images as CALL_PIXELS pixel values (8 images of 224×224×3, 4.8 MB of float32), at most DEFAULT_BATCH_SIZE;
 * work that can share a call beyond the batch (noisy copies, occluded variants of small images) takes as many
 * rows as CALL_PIXELS allows. A batch size the user configures is used as given.
 */

/** The batch size for small images (MNIST, CIFAR): progress and cancellation per 64 images. */
export const DEFAULT_BATCH_SIZE = 64;
/** Pixel values per model call by default: 8 images of 224×224×3. */
export const CALL_PIXELS = 8 * 3 * 224 * 224;

/** Images up to this many pixel values (79×79×3) are small: the default batch is the full 64, and a convolutional model's gradient shares a batch out to single-threaded worker sessions (grad/gradientModel.ts). */
export const SMALL_IMAGE_PIXELS = CALL_PIXELS / DEFAULT_BATCH_SIZE;

/** The default batch size for images of `pixelsPerImage` values (C·H·W): 64 up to 79×79×3, 8 at 224×224×3, 1 from 449×449×3. */
export function defaultBatchSize(pixelsPerImage: number): number {
  return Math.max(1, Math.min(DEFAULT_BATCH_SIZE, Math.floor(CALL_PIXELS / Math.max(1, pixelsPerImage))));
}

/** Rows per model call for work that can share a call: as many as CALL_PIXELS allows, up to `cap`, never fewer than the batch size. */
export function rowsPerCall(batchSize: number, pixelsPerImage: number, cap: number): number {
  return Math.max(batchSize, Math.min(cap, Math.floor(CALL_PIXELS / Math.max(1, pixelsPerImage))));
}
