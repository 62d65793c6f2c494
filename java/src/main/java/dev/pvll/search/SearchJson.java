package dev.pvll.search;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/**
 * The Gson instance for the search's state records (Memory.State, Architect.State,
 * PredictorTrainer.State, Adam.State): doubles are written with full round-trip precision.
 */
public final class SearchJson {
  private SearchJson() {}

  public static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();
}
