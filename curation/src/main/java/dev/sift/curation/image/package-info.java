/**
 * Image bytes: format and dimension probing with ImageIO and the TwelveMonkeys plugins (CMYK JPEG,
 * WebP), the per-row size, aspect and decompression-bomb checks of the decode stage, and CLIP's
 * pixel preprocessing (decoding as PIL does: libjpeg-turbo, libwebp, a PNG decoder of Sift's own,
 * ImageIO for the rest; antialiased bicubic resize, centre crop, normalise) with parity to the
 * Hugging Face processors.
 */
package dev.sift.curation.image;
