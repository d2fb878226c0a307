import { ApiError } from '../../errors/error-catalog.js';

export const sessionNotFound = (id: string) => new ApiError('session_not_found', `Session ${id} not found.`);

export const tooManyImages = (maxImages: number) =>
  new ApiError('too_many_images', `Too many images. Limit is ${maxImages} images per session.`);
