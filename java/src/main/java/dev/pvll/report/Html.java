package dev.pvll.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small builder for the report page: inline CSS, no scripts, images referenced beside it. */
final class Html {
  private final StringBuilder sb = new StringBuilder();

  Html(String title) {
    sb.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title)).append("</title><style>")
        .append("body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f4f5f7;color:#1d2330}")
        .append("main{max-width:1000px;margin:0 auto;padding:24px}h1{font-size:24px;margin:8px 0 16px}h2{font-size:18px;margin:28px 0 10px}")
        .append(".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}")
        .append(".card{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08)}")
        .append(".card .k{font-size:12px;color:#667;text-transform:uppercase;letter-spacing:.03em}.card .v{font-size:20px;font-weight:600;margin-top:4px}")
        .append("figure{background:#fff;border-radius:8px;margin:16px 0;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}")
        .append("figure img{max-width:100%;display:block;margin:0 auto}figcaption{font-size:13px;color:#556;margin-top:6px}")
        .append(".row{display:flex;gap:12px;flex-wrap:wrap}.row figure{flex:1;min-width:300px}")
        .append("pre{background:#1d2330;color:#e8eaf0;padding:12px;border-radius:8px;overflow-x:auto;font-size:12px;white-space:pre-wrap}")
        .append("table{border-collapse:collapse;background:#fff;border-radius:8px}td,th{padding:4px 12px;border-bottom:1px solid #eee;text-align:left}")
        .append(".note{background:#fff7e0;border-left:4px solid #f0b400;padding:8px 12px;border-radius:4px}")
        .append("</style></head><body><main><h1>").append(escape(title)).append("</h1>");
  }

  void cards(String[][] kv) {
    sb.append("<div class=\"cards\">");
    for (String[] e : kv) {
      sb.append("<div class=\"card\"><div class=\"k\">").append(escape(e[0])).append("</div><div class=\"v\">").append(escape(e[1]))
          .append("</div></div>");
    }
    sb.append("</div>");
  }

  void code(String heading, String text) {
    sb.append("<h2>").append(escape(heading)).append("</h2><pre>").append(escape(text)).append("</pre>");
  }

  void figure(String png, String caption) {
    sb.append("<figure><img src=\"").append(png).append("\" alt=\"").append(png).append("\">");
    if (caption != null) sb.append("<figcaption>").append(escape(caption)).append("</figcaption>");
    sb.append("</figure>");
  }

  void row(String... pngs) {
    sb.append("<div class=\"row\">");
    for (String p : pngs) figure(p, null);
    sb.append("</div>");
  }

  void pictures(String heading, String... pngs) {
    sb.append("<h2>").append(escape(heading)).append("</h2>");
    for (String p : pngs) figure(p, p.replace(".png", " cell"));
  }

  void note(String text) {
    sb.append("<p class=\"note\">").append(escape(text)).append("</p>");
  }

  void raw(String html) {
    sb.append(html);
  }

  void configuration(Path configJson) throws IOException {
    if (Files.exists(configJson)) code("Configuration", Files.readString(configJson));
  }

  String end() {
    return sb.append("</main></body></html>\n").toString();
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
