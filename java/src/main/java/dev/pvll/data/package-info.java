/**
 * Data: readers for IDX (MNIST, Fashion-MNIST), CIFAR-10/100 binary files and image folders; where
 * data sets are found ({@link dev.pvll.data.DataLocator}) and the embedded Fashion-MNIST subset
 * ({@link dev.pvll.data.Datasets#embeddedFashionMnist}); train/validation splits; augmentation;
 * the double-buffered {@link dev.pvll.data.BatchLoader} that writes batches into native memory;
 * and the verified, resumable {@link dev.pvll.data.Downloader}. Every malformed input becomes a
 * {@link dev.pvll.data.DatasetFormatException} naming the file and the problem.
 */
package dev.pvll.data;
