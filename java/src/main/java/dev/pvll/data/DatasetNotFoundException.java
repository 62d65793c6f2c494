package dev.pvll.data;

/** No search location holds the data set; the message lists where pvll looked and how to get it. */
public class DatasetNotFoundException extends RuntimeException {
  public DatasetNotFoundException(String message) {
    super(message);
  }
}
