package dev.pvll.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {
  @TempDir Path dir;

  static BufferedImage solid(int w, int h, int rgb) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb);
    return img;
  }

  static void write(BufferedImage img, String format, Path file) throws Exception {
    Files.createDirectories(file.getParent());
    assertTrue(ImageIO.write(img, format, file.toFile()));
  }

  @Test
  void readsClassesInSortedOrderAndResizes() throws Exception {
    write(solid(10, 6, 0x102030), "png", dir.resolve("b_cat/1.png"));
    write(solid(40, 40, 0xFF0000), "png", dir.resolve("b_cat/2.PNG"));
    write(solid(8, 8, 0x00FF00), "jpg", dir.resolve("a_dog/x.jpg"));
    Files.writeString(dir.resolve("a_dog/notes.txt"), "ignored");
    Dataset d = ImageFolderReader.read(dir, 3, 5, 5, "folder");
    assertEquals(List.of("a_dog", "b_cat"), d.classNames());
    assertEquals(3, d.size());
    assertArrayEquals(new int[] {1, 2}, d.classCounts());
    assertEquals(0, d.label(0));
    // a solid image stays solid through the bilinear resize
    assertEquals(0x10, d.pixel(1, 0, 2, 2));
    assertEquals(0x20, d.pixel(1, 1, 4, 0));
    assertEquals(0x30, d.pixel(1, 2, 0, 4));
    assertEquals(255, d.pixel(2, 0, 3, 3));
    assertEquals(0, d.pixel(2, 1, 3, 3));
    assertTrue(Math.abs(d.pixel(0, 1, 1, 1) - 255) <= 3, "JPEG green " + d.pixel(0, 1, 1, 1));
  }

  @Test
  void greyConversionAndGreySources() throws Exception {
    write(solid(4, 4, 0xFF0000), "png", dir.resolve("c/red.png"));
    BufferedImage grey = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) grey.getRaster().setSample(x, y, 0, 17 * (x + 4 * y));
    write(grey, "png", dir.resolve("c/grey.png"));
    Dataset d = ImageFolderReader.read(dir, 1, 4, 4, "g");
    // files sorted: grey.png then red.png; grey samples are taken as they are (no colour-space change)
    assertEquals(17 * 6, d.pixel(0, 0, 1, 2));
    assertEquals(Math.round(0.299f * 255), d.pixel(1, 0, 0, 0));
    Dataset rgb = ImageFolderReader.read(dir, 3, 4, 4, "g3");
    assertEquals(17 * 6, rgb.pixel(0, 2, 1, 2));
  }

  @Test
  void bilinearResizeMatchesHalfPixelCentres() {
    float[] src = {0, 10, 20, 30};
    float[] dst = new float[8];
    ImageFolderReader.resize(src, 1, 4, dst, 1, 8);
    // torch.nn.functional.interpolate(align_corners=False): [0, 2.5, 7.5, 12.5, 17.5, 22.5, 27.5, 30]
    assertArrayEquals(new float[] {0, 2.5f, 7.5f, 12.5f, 17.5f, 22.5f, 27.5f, 30}, dst, 1e-5f);
  }

  @Test
  void unreadableImageNamesTheFile() throws Exception {
    write(solid(4, 4, 0), "png", dir.resolve("a/ok.png"));
    Path bad = dir.resolve("a/broken.png");
    byte[] png = Files.readAllBytes(dir.resolve("a/ok.png"));
    Files.write(bad, java.util.Arrays.copyOf(png, 40));
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ImageFolderReader.read(dir, 3, 4, 4, "x"));
    assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains("unreadable image"), e.getMessage());
    Files.writeString(bad, "not an image at all");
    e = assertThrows(DatasetFormatException.class, () -> ImageFolderReader.read(dir, 3, 4, 4, "x"));
    assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
  }

  @Test
  void emptyClassFolderAndNoClasses() throws Exception {
    write(solid(4, 4, 0), "png", dir.resolve("a/ok.png"));
    Files.createDirectories(dir.resolve("b"));
    Files.writeString(dir.resolve("b/readme.txt"), "no images here");
    DatasetFormatException e = assertThrows(DatasetFormatException.class, () -> ImageFolderReader.read(dir, 3, 4, 4, "x"));
    assertTrue(e.getMessage().startsWith(dir.resolve("b").toString()) && e.getMessage().contains("empty class folder"), e.getMessage());
    Path none = dir.resolve("a");
    e = assertThrows(DatasetFormatException.class, () -> ImageFolderReader.read(none, 3, 4, 4, "x"));
    assertTrue(e.getMessage().contains("no class sub-folders"), e.getMessage());
  }

  @Test
  void hugeClaimedSizeIsRefusedBeforeDecoding() throws Exception {
    write(solid(4, 4, 0), "png", dir.resolve("a/ok.png"));
    byte[] png = Files.readAllBytes(dir.resolve("a/ok.png"));
    // IHDR width and height (bytes 16..23) set to 60000 x 60000; the CRC no longer matches either
    byte[] big = png.clone();
    for (int at : new int[] {16, 20}) {
      big[at] = 0;
      big[at + 1] = 0;
      big[at + 2] = (byte) 0xEA;
      big[at + 3] = 0x60;
    }
    Files.write(dir.resolve("a/ok.png"), big);
    assertThrows(DatasetFormatException.class, () -> ImageFolderReader.read(dir, 3, 4, 4, "x"));
  }
}
