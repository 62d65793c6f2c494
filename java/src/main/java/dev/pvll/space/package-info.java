/**
 * The DARTS search space as data: the candidate operations ({@link dev.pvll.space.Primitive}, whose
 * order is the column order of the architecture matrices A), the cell topology and network shape
 * ({@link dev.pvll.space.CellTopology}, {@link dev.pvll.space.NetworkConfig}), genotypes with their
 * JSON and DARTS text forms ({@link dev.pvll.space.Genotype}, {@link dev.pvll.space.Genotypes}),
 * the DARTS derivation rule ({@link dev.pvll.space.GenotypeDerivation}), a uniform random sampler
 * ({@link dev.pvll.space.RandomGenotypes}) and cell pictures ({@link dev.pvll.space.CellPicture}).
 *
 * <p>Pure Java: nothing here touches the kernels or a device.
 */
package dev.pvll.space;
