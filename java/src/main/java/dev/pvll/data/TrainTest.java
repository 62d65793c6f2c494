package dev.pvll.data;

/**
 * The training set and the test set of one data set as read from one place. The test set is kept
 * apart: searches and training split {@link #train} only (see {@link Splits}).
 *
 * @param train the training set
 * @param test the test set
 * @param origin where it was read from (a folder, an archive or a resource), for messages
 */
public record TrainTest(Dataset train, Dataset test, String origin) {}
