package dev.pvll.data;

import java.util.List;

/**
 * The data sets pvll knows by name: their image shape, class names, normalisation constants and,
 * for those {@code pvll data download} can fetch, the files with their SHA-256.
 */
public enum KnownDataset {
  /** Zalando's Fashion-MNIST: 60,000 + 10,000 grey 28x28 images of 10 kinds of clothing (IDX files). */
  FASHION_MNIST("fashion-mnist", 1, 28,
      List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
      Normalization.FASHION_MNIST,
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
      // Zalando publishes MD5s only; these SHA-256s of the same files are the ones two independent
      // projects pin (the eaguru mnist downloader and batchup's fashion_mnist.py) and agree on.
      // Debian's dataset-fashion-mnist re-gzipped the files (no name in the gzip header), so its
      // .gz files cannot be checked against them byte for byte.
      List.of(
          new RemoteFile("train-images-idx3-ubyte.gz", "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc", -1),
          new RemoteFile("train-labels-idx1-ubyte.gz", "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc", -1),
          new RemoteFile("t10k-images-idx3-ubyte.gz", "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229", -1),
          new RemoteFile("t10k-labels-idx1-ubyte.gz", "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf", -1))),
  /** LeCun's MNIST digits in IDX files (read when present; not downloaded by pvll). */
  MNIST("mnist", 1, 28, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Normalization.MNIST, null, List.of()),
  /** Krizhevsky's CIFAR-10, binary version: 50,000 + 10,000 colour 32x32 images, 10 classes. */
  CIFAR10("cifar10", 3, 32,
      List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
      Normalization.CIFAR10,
      "https://www.cs.toronto.edu/~kriz/",
      List.of(new RemoteFile("cifar-10-binary.tar.gz", "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171L))),
  /** Krizhevsky's CIFAR-100, binary version: 50,000 + 10,000 colour 32x32 images, 100 fine classes. */
  CIFAR100("cifar100", 3, 32, cifar100Fine(), Normalization.CIFAR100,
      "https://www.cs.toronto.edu/~kriz/",
      List.of(new RemoteFile("cifar-100-binary.tar.gz", "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec", -1)));

  /** The 20 CIFAR-100 superclasses, in label order. */
  public static final List<String> CIFAR100_COARSE_NAMES = List.of(
      "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
      "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
      "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals",
      "trees", "vehicles_1", "vehicles_2");

  private final String id;
  private final int channels;
  private final int side;
  private final List<String> classNames;
  private final Normalization normalization;
  private final String baseUrl;
  private final List<RemoteFile> files;

  KnownDataset(String id, int channels, int side, List<String> classNames, Normalization normalization, String baseUrl, List<RemoteFile> files) {
    this.id = id;
    this.channels = channels;
    this.side = side;
    this.classNames = classNames;
    this.normalization = normalization;
    this.baseUrl = baseUrl;
    this.files = files;
  }

  /** The name used on the command line and as folder name: fashion-mnist, mnist, cifar10, cifar100. */
  public String id() {
    return id;
  }

  public int channels() {
    return channels;
  }

  /** Image height and width. */
  public int side() {
    return side;
  }

  public List<String> classNames() {
    return classNames;
  }

  /** The published normalisation constants. */
  public Normalization normalization() {
    return normalization;
  }

  /** Whether {@code pvll data download} can fetch it. */
  public boolean downloadable() {
    return baseUrl != null;
  }

  /** The official base URL of {@link #files()}, or null. */
  public String baseUrl() {
    return baseUrl;
  }

  /** The files to download, with their SHA-256. */
  public List<RemoteFile> files() {
    return files;
  }

  /**
   * The data set named {@code name} (case-insensitive; {@code cifar-10}, {@code fashion_mnist}
   * and similar spellings are accepted).
   *
   * @throws IllegalArgumentException listing the known names
   */
  public static KnownDataset parse(String name) {
    String n = name.trim().toLowerCase().replace('_', '-');
    for (KnownDataset d : values()) {
      if (d.id.equals(n) || d.id.equals(n.replace("-", ""))) return d;
    }
    if (n.equals("fashionmnist")) return FASHION_MNIST;
    StringBuilder known = new StringBuilder();
    for (KnownDataset d : values()) known.append(known.length() == 0 ? "" : ", ").append(d.id);
    throw new IllegalArgumentException("unknown data set '" + name + "': known are " + known);
  }

  private static List<String> cifar100Fine() {
    return List.of(
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm");
  }
}
