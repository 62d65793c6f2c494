package dev.pvll.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP server on 127.0.0.1 serving byte arrays under /files/NAME, with Range support, redirects
 * from /moved/NAME, and connections that drop mid-file on demand.
 */
public final class LocalFileServer implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, int[]> drops = new ConcurrentHashMap<>();
  /** The Range header of every request ("" when none), in order. */
  public final List<String> ranges = new CopyOnWriteArrayList<>();

  public LocalFileServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base URL of the files: http://127.0.0.1:PORT/files/ */
  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/files/";
  }

  /** The base URL that redirects to {@link #base}. */
  public String movedBase() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/moved/";
  }

  public LocalFileServer put(String name, byte[] content) {
    files.put(name, content);
    return this;
  }

  /** The next {@code times} responses for name stop after {@code afterBytes} body bytes and close the connection. */
  public LocalFileServer dropConnection(String name, int afterBytes, int times) {
    drops.put(name, new int[] {afterBytes, times});
    return this;
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String range = ex.getRequestHeaders().getFirst("Range");
    ranges.add(range == null ? "" : range);
    if (path.startsWith("/moved/")) {
      ex.getResponseHeaders().add("Location", "/files/" + path.substring(7));
      ex.sendResponseHeaders(302, -1);
      ex.close();
      return;
    }
    String name = path.startsWith("/files/") ? path.substring(7) : "";
    byte[] body = files.get(name);
    if (body == null) {
      ex.sendResponseHeaders(404, -1);
      ex.close();
      return;
    }
    int from = 0;
    int code = 200;
    if (range != null && range.matches("bytes=\\d+-")) {
      from = Integer.parseInt(range.substring(6, range.length() - 1));
      if (from >= body.length) {
        ex.getResponseHeaders().add("Content-Range", "bytes */" + body.length);
        ex.sendResponseHeaders(416, -1);
        ex.close();
        return;
      }
      code = 206;
      ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
    }
    int length = body.length - from;
    ex.sendResponseHeaders(code, length);
    int[] drop = drops.get(name);
    OutputStream out = ex.getResponseBody();
    if (drop != null && drop[1] > 0 && drop[0] < length) {
      drop[1]--;
      out.write(body, from, drop[0]);
      out.flush();
      // a handler that throws makes the server close the connection at once, mid-body
      throw new IOException("simulated dropped connection");
    }
    try (ex) {
      out.write(body, from, length);
    } catch (IOException e) {
      // the client went away
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
