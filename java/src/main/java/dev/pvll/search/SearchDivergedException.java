package dev.pvll.search;

/** A loss became NaN or infinite: the search stops; the last good checkpoint is left intact. */
public final class SearchDivergedException extends RuntimeException {
  public SearchDivergedException(String message) {
    super(message);
  }
}
