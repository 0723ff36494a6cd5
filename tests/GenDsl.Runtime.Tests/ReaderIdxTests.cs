using System.Buffers.Binary;
using GenDsl.IO;

namespace GenDsl.Runtime.Tests;

public sealed class ReaderIdxTests : IDisposable
{
    private readonly ReaderTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>An IDX file built by hand from the format's definition: 00 00 type rank, big-endian int32 sizes, data.</summary>
    private static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    private static readonly byte[] ThreeImages = [0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40];

    [Fact]
    public void ReadsUnsignedByteImagesScaledToTheUnitInterval()
    {
        string path = _files.WriteBytes("images-idx3-ubyte", Idx(0x08, [3, 2, 2], ThreeImages));
        var d = IdxReader.ReadImages(path);
        Assert.Equal(3, d.Rows);
        Assert.Equal(4, d.Columns);
        for (int i = 0; i < ThreeImages.Length; i++)
            Assert.Equal(ThreeImages[i] / 255f, d.Data[i]);

        var raw = IdxReader.ReadImages(path, scale: false);
        Assert.Equal(255f, raw.Data[1]);
    }

    [Fact]
    public void ReadsGzippedFilesByMagicBytesWhateverTheirName()
    {
        string images = _files.WriteBytes("images.bin", ReaderTestFiles.Gzip(Idx(0x08, [3, 2, 2], ThreeImages)));
        string labels = _files.WriteBytes("labels.idx1-ubyte.gz", ReaderTestFiles.Gzip(Idx(0x08, [3], [7, 0, 9])));
        var d = IdxReader.Read(images, labels);
        Assert.Equal(3, d.Rows);
        Assert.Equal([7, 0, 9], d.Labels.ToArray());
        Assert.Equal(51 / 255f, d.Data[2]);
    }

    [Fact]
    public void ReadsBigEndianFloatsAndIntegers()
    {
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), -2.25f);
        var d = IdxReader.ReadImages(_files.WriteBytes("f.idx", Idx(0x0D, [1, 2], floats)));
        Assert.Equal([1.5f, -2.25f], d.Data);

        var doubles = new byte[16];
        BinaryPrimitives.WriteDoubleBigEndian(doubles, 0.1);
        BinaryPrimitives.WriteDoubleBigEndian(doubles.AsSpan(8), -3);
        Assert.Equal([0.1f, -3f], IdxReader.ReadImages(_files.WriteBytes("d.idx", Idx(0x0E, [2, 1], doubles))).Data);

        var ints = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(ints, -70000);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(4), 12);
        Assert.Equal([-70000f, 12f], IdxReader.ReadImages(_files.WriteBytes("i.idx", Idx(0x0C, [1, 2], ints)), scale: true).Data); // scale affects bytes only
        Assert.Equal([-2f, 127f], IdxReader.ReadImages(_files.WriteBytes("sb.idx", Idx(0x09, [1, 2], [0xfe, 0x7f]))).Data);

        var shorts = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(shorts, 300);
        BinaryPrimitives.WriteInt16BigEndian(shorts.AsSpan(2), 5);
        Assert.Equal([300, 5], IdxReader.ReadLabels(_files.WriteBytes("s.idx", Idx(0x0B, [2], shorts))));
    }

    [Fact]
    public void TruncatedDataNamesTheOffsetAndBothSizes()
    {
        string path = _files.WriteBytes("t10k-images-idx3-ubyte", Idx(0x08, [3, 2, 2], ThreeImages[..10]));
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.Equal("t10k-images-idx3-ubyte, offset 16: expected 12 bytes of ubyte data for shape 3 × 2 × 2, found 10 (the file is truncated)", ex.Message);
        Assert.Equal(16, ex.Offset);
    }

    [Fact]
    public void MalformedHeadersAreReportedAtTheirOffset()
    {
        var zip = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(_files.WriteBytes("a.zip", [0x50, 0x4b, 3, 4, 0, 0])));
        Assert.StartsWith("a.zip, offset 0: expected the IDX magic number to start with 00 00, found 50 4b", zip.Message);

        var type = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(_files.WriteBytes("b.idx", Idx(0x07, [1, 1], [0]))));
        Assert.StartsWith("b.idx, offset 2: unknown IDX data type 0x07", type.Message);

        var tiny = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(_files.WriteBytes("c.idx", [0, 0])));
        Assert.Equal("c.idx, offset 0: expected a 4-byte IDX magic number, found a file of 2 bytes", tiny.Message);

        var dims = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(_files.WriteBytes("d.idx", [0, 0, 8, 3, 0, 0, 0, 1])));
        Assert.StartsWith("d.idx, offset 8: the header declares 3 dimensions", dims.Message);

        var negative = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(_files.WriteBytes("e.idx", Idx(0x08, [1, -4], []))));
        Assert.StartsWith("e.idx, offset 8: dimension 1 is -4", negative.Message);

        var extra = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(_files.WriteBytes("f.idx", Idx(0x08, [2], [1, 2, 3]))));
        Assert.Contains("offset 8: expected 2 bytes", extra.Message);
        Assert.Contains("extra bytes", extra.Message);
    }

    [Fact]
    public void ImagesAndLabelsMustBeTheRightKindOfFile()
    {
        string images = _files.WriteBytes("images.idx", Idx(0x08, [3, 2, 2], ThreeImages));
        string labels = _files.WriteBytes("labels.idx", Idx(0x08, [3], [1, 2, 3]));
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadLabels(images));
        Assert.StartsWith("images.idx, offset 3: a label file has 1 dimension, found 3", ex.Message);
        var ex2 = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(labels));
        Assert.StartsWith("labels.idx, offset 3: an image file needs at least 2 dimensions", ex2.Message);

        string two = _files.WriteBytes("two-labels.idx", Idx(0x08, [2], [1, 2]));
        var ex3 = Assert.Throws<DataFormatException>(() => IdxReader.Read(images, two));
        Assert.Equal("two-labels.idx: holds 2 labels but images.idx holds 3 images; expected one label per image", ex3.Message);
    }

    [Fact]
    public void NaNInFloatImagesIsRejectedUnlessAllowed()
    {
        var floats = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(floats, 1f);
        BinaryPrimitives.WriteSingleBigEndian(floats.AsSpan(4), float.NaN);
        string path = _files.WriteBytes("nan.idx", Idx(0x0D, [1, 2], floats));
        var ex = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith("nan.idx, offset 16: sample 0, value 1 is NaN", ex.Message);
        Assert.True(float.IsNaN(IdxReader.ReadImages(path, allowNaN: true).Data[1]));
    }

    [Fact]
    public void AMissingFileIsFileNotFound()
    {
        string missing = _files.PathOf("nope-idx3-ubyte");
        var ex = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages(missing));
        Assert.Equal(missing, ex.FileName);
    }
}
