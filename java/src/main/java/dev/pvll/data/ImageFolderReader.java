package dev.pvll.data;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * An image-folder data set: one sub-folder per class (classes sorted by folder name), PNG or
 * JPEG files inside, each converted to the wanted number of channels (grey by luminance, or RGB)
 * and resized to the wanted size by bilinear interpolation (half-pixel centres, no
 * anti-aliasing). Transparent pixels keep their colour values (alpha is dropped). Files with
 * other extensions and hidden entries are ignored.
 */
public final class ImageFolderReader {
  /** Images larger than this many pixels are refused before decoding (a corrupted header could claim anything). */
  static final long MAX_PIXELS = 1L << 26;

  static {
    ImageIO.setUseCache(false);
  }

  private ImageFolderReader() {}

  /** Whether a folder looks like an image-folder data set: every non-hidden sub-folder holds an image file. */
  public static boolean looksLikeImageFolder(Path root) {
    if (!Files.isDirectory(root)) return false;
    try {
      List<Path> classes = classFolders(root);
      if (classes.isEmpty()) return false;
      for (Path c : classes) if (imageFiles(c).isEmpty()) return false;
      return true;
    } catch (DatasetFormatException e) {
      return false;
    }
  }

  /** Number of image files per class folder, in class order, without decoding them. */
  public static java.util.LinkedHashMap<String, Integer> classFileCounts(Path root) {
    java.util.LinkedHashMap<String, Integer> counts = new java.util.LinkedHashMap<>();
    for (Path c : classFolders(root)) counts.put(c.getFileName().toString(), imageFiles(c).size());
    return counts;
  }

  /**
   * Reads every image under root's class folders.
   *
   * @param channels 1 (grey) or 3 (RGB)
   * @throws DatasetFormatException naming the folder or file: no class folder, an empty class
   *     folder, an image that cannot be decoded
   */
  public static Dataset read(Path root, int channels, int height, int width, String name) {
    if (channels != 1 && channels != 3) throw new IllegalArgumentException("channels must be 1 or 3, got " + channels);
    if (height < 1 || width < 1) throw new IllegalArgumentException("image size must be positive, got " + height + "x" + width);
    List<Path> classes = classFolders(root);
    if (classes.isEmpty()) throw new DatasetFormatException(root, "no class sub-folders (expected one folder of images per class)");
    List<String> classNames = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int k = 0; k < classes.size(); k++) {
      List<Path> images = imageFiles(classes.get(k));
      if (images.isEmpty()) throw new DatasetFormatException(classes.get(k), "empty class folder: no .png, .jpg or .jpeg file");
      classNames.add(classes.get(k).getFileName().toString());
      for (Path p : images) {
        files.add(p);
        labels.add(k);
      }
    }
    int per = channels * height * width;
    if ((long) files.size() * per > Bytes.MAX_ARRAY) throw new DatasetFormatException(root, files.size() + " images of " + per + " bytes do not fit in one array");
    byte[] pixels = new byte[files.size() * per];
    int[] l = new int[files.size()];
    for (int i = 0; i < files.size(); i++) {
      decodeInto(files.get(i), channels, height, width, pixels, i * per);
      l[i] = labels.get(i);
    }
    return new Dataset(name, pixels, l, channels, height, width, classNames);
  }

  static List<Path> classFolders(Path root) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
      for (Path p : ds) {
        if (Files.isDirectory(p) && !p.getFileName().toString().startsWith(".")) out.add(p);
      }
    } catch (IOException e) {
      throw new DatasetFormatException(root, "cannot list folder (" + e.getMessage() + ")", e);
    }
    out.sort(null);
    return out;
  }

  private static List<Path> imageFiles(Path folder) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder)) {
      for (Path p : ds) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.startsWith(".") || !Files.isRegularFile(p)) continue;
        if (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg")) out.add(p);
      }
    } catch (IOException e) {
      throw new DatasetFormatException(folder, "cannot list folder (" + e.getMessage() + ")", e);
    }
    out.sort(null);
    return out;
  }

  /** Decodes one file, converts and resizes it into out[at .. at + channels*height*width). */
  static void decodeInto(Path file, int channels, int height, int width, byte[] out, int at) {
    BufferedImage img = decode(file);
    int w = img.getWidth();
    int h = img.getHeight();
    float[][] planes = planes(img, file);
    int plane = height * width;
    float[] resized = new float[plane];
    for (int c = 0; c < channels; c++) {
      float[] src;
      if (channels == planes.length) {
        src = planes[c];
      } else if (channels == 1) {
        src = new float[w * h];
        for (int k = 0; k < src.length; k++) src[k] = 0.299f * planes[0][k] + 0.587f * planes[1][k] + 0.114f * planes[2][k];
      } else {
        src = planes[0];
      }
      resize(src, h, w, resized, height, width);
      for (int k = 0; k < plane; k++) out[at + c * plane + k] = (byte) Math.max(0, Math.min(255, Math.round(resized[k])));
    }
  }

  private static BufferedImage decode(Path file) {
    try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
      if (iis == null) throw new DatasetFormatException(file, "cannot open");
      Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
      if (!readers.hasNext()) throw new DatasetFormatException(file, "unreadable image: not a PNG or JPEG file");
      ImageReader reader = readers.next();
      try {
        reader.setInput(iis, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        if (w < 1 || h < 1 || (long) w * h > MAX_PIXELS) {
          throw new DatasetFormatException(file, "unreadable image: header gives a size of " + w + "x" + h + " pixels");
        }
        // PNG (deflate, at most ~1032:1, 8 pixels a byte at 1 bit) and JPEG (a few bits per 8x8
        // block at best) cannot hold more pixels than this; a larger claim is a corrupted header
        long length = Files.size(file);
        if ((long) w * h > (1L << 20) + 8300L * length) {
          throw new DatasetFormatException(file, "unreadable image: header gives " + w + "x" + h
              + " pixels, more than a file of " + length + " bytes can hold");
        }
        BufferedImage img = reader.read(0);
        if (img == null) throw new DatasetFormatException(file, "unreadable image: decoder returned nothing");
        return img;
      } finally {
        reader.dispose();
      }
    } catch (DatasetFormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new DatasetFormatException(file, "unreadable image (" + e + ")", e);
    }
  }

  /** One float plane per channel: the grey samples of a grey image, else R, G, B. */
  private static float[][] planes(BufferedImage img, Path file) {
    int w = img.getWidth();
    int h = img.getHeight();
    Raster r = img.getRaster();
    boolean grey = r.getNumBands() == 1 && !(img.getColorModel() instanceof IndexColorModel);
    try {
      if (grey) {
        int bits = img.getColorModel().getComponentSize(0);
        float scale = 255f / ((1 << bits) - 1);
        int[] s = r.getSamples(0, 0, w, h, 0, (int[]) null);
        float[] g = new float[s.length];
        for (int k = 0; k < s.length; k++) g[k] = s[k] * scale;
        return new float[][] {g};
      }
      int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
      float[][] p = new float[3][argb.length];
      for (int k = 0; k < argb.length; k++) {
        p[0][k] = (argb[k] >> 16) & 0xFF;
        p[1][k] = (argb[k] >> 8) & 0xFF;
        p[2][k] = argb[k] & 0xFF;
      }
      return p;
    } catch (RuntimeException e) {
      throw new DatasetFormatException(file, "unreadable image: unsupported pixel layout (" + e + ")", e);
    }
  }

  /** Bilinear resize with half-pixel centres (as PyTorch's interpolate with align_corners=false). */
  static void resize(float[] src, int sh, int sw, float[] dst, int dh, int dw) {
    if (sh == dh && sw == dw) {
      System.arraycopy(src, 0, dst, 0, src.length);
      return;
    }
    float fy = (float) sh / dh;
    float fx = (float) sw / dw;
    for (int y = 0; y < dh; y++) {
      float sy = Math.max(0f, (y + 0.5f) * fy - 0.5f);
      int y0 = Math.min((int) sy, sh - 1);
      int y1 = Math.min(y0 + 1, sh - 1);
      float wy = sy - y0;
      for (int x = 0; x < dw; x++) {
        float sx = Math.max(0f, (x + 0.5f) * fx - 0.5f);
        int x0 = Math.min((int) sx, sw - 1);
        int x1 = Math.min(x0 + 1, sw - 1);
        float wx = sx - x0;
        float top = src[y0 * sw + x0] * (1 - wx) + src[y0 * sw + x1] * wx;
        float bottom = src[y1 * sw + x0] * (1 - wx) + src[y1 * sw + x1] * wx;
        dst[y * dw + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
}
