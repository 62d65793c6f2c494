/**
 * The DARTS search space as data: the candidate operations ({@link dev.pvll.space.Primitive}, whose
 * order is the column order of the architecture matrices A), the cell topology and network shape
 * ({@link dev.pvll.space.CellTopology}, {@link dev.pvll.space.NetworkConfig}), genotypes with their
 * JSON and DARTS text forms ({@link dev.pvll.space.Genotype}, {@link dev.pvll.space.Genotypes}),
 * the DARTS derivation rule ({@link dev.pvll.space.GenotypeDerivation}) and a uniform random
 * sampler ({@link dev.pvll.space.RandomGenotypes}).
 *
 * <p>Data only, in pure Java: nothing here touches the kernels or a device, or draws (the cell
 * pictures are {@code dev.pvll.report.CellPicture}).
 */
package dev.pvll.space;
