/**
 * Image bytes: format and dimension probing with ImageIO and the TwelveMonkeys plugins (CMYK JPEG,
 * WebP), and the per-row size, aspect and decompression-bomb checks of the decode stage.
 */
package dev.sift.curation.image;
