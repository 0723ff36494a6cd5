using System.Buffers.Binary;
using System.Text;
using CommunityToolkit.HighPerformance;
using GenDsl.IO;

namespace GenDsl.Runtime.Tests;

public sealed class ReaderNpyTests : IDisposable
{
    private readonly ReaderTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    // Files written by NumPy 1.24.2 (Debian python3-numpy) with np.save / np.lib.format.write_array,
    // for a = np.array([[1.5, -2.25, 3.0], [0.125, 1e-3, -7.0]], dtype='<f4') and the variants named.
    private const string NumpyF4 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAQwAAAQEAAAAA+bxKDOgAA4MA=";
    private const string NumpyF8Vector = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAqamZmZmZm5PwAAACBfoALCAAAAAAAABEA="; // [0.1, -1e10, 2.5]
    private const string NumpyU1 = "k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoA/weA"; // [[0, 255], [7, 128]]
    private const string NumpyV2 = "k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAQwAAAQEAAAAA+bxKDOgAA4MA=";
    private const string NumpyFortran = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAPgAAEMBvEoM6AABAQAAA4MA=";
    private const string NumpyBigEndian = "k05VTVBZAQB2AHsnZGVzY3InOiAnPmY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo/wAAAwBAAAEBAAAA+AAAAOoMSb8DgAAA=";
    private const string NumpyInt64 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAA=";
    private const string Numpy3D = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";

    private static readonly float[] A = [1.5f, -2.25f, 3f, 0.125f, 1e-3f, -7f];

    private string Fixture(string name, string base64) => _files.WriteBytes(name, Convert.FromBase64String(base64));

    [Fact]
    public void ReadsFilesWrittenByNumpy()
    {
        var f4 = NpyReader.Read(Fixture("a.npy", NumpyF4));
        Assert.Equal(2, f4.Rows);
        Assert.Equal(3, f4.Columns);
        Assert.Equal(A, f4.Data);

        var v2 = NpyReader.Read(Fixture("v2.npy", NumpyV2));
        Assert.Equal(A, v2.Data);

        var f8 = NpyReader.Read(Fixture("v.npy", NumpyF8Vector));
        Assert.Equal(3, f8.Rows);
        Assert.Equal(1, f8.Columns);
        Assert.Equal([0.1f, -1e10f, 2.5f], f8.Data);

        var u1 = NpyReader.Read(Fixture("u.npy", NumpyU1));
        Assert.Equal([0f, 255f, 7f, 128f], u1.Data);

        var gz = NpyReader.Read(_files.WriteBytes("a.npy.gz", ReaderTestFiles.Gzip(Convert.FromBase64String(NumpyF4))));
        Assert.Equal(A, gz.Data);
    }

    [Fact]
    public void WriterProducesExactlyWhatNumpyWrites()
    {
        string path = _files.PathOf("ours.npy");
        NpyWriter.Write(path, new ReadOnlySpan2D<float>(A, 2, 3));
        Assert.Equal(Convert.FromBase64String(NumpyF4), File.ReadAllBytes(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(65, 63)]
    [InlineData(0, 4)]
    public void WriterRoundTripsPitchedViewsAndFollowsTheSpec(int rows, int columns)
    {
        // A rows × columns view inside a wider buffer (pitch 5).
        int pitch = 5;
        var buffer = new float[rows * (columns + pitch)];
        for (int i = 0; i < buffer.Length; i++)
            buffer[i] = i * 0.37f - 11f;
        var view = new ReadOnlySpan2D<float>(buffer, 0, rows, columns, pitch);
        string path = _files.PathOf($"m{rows}x{columns}.npy");
        NpyWriter.Write(path, view);

        // The header, read by hand from the format description.
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], bytes[..8]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.EndsWith("\n", header);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        Assert.Contains($"'shape': ({rows}, {columns})", header);
        Assert.Equal(10 + headerLength + 4 * rows * columns, bytes.Length);

        var back = NpyReader.Read(path);
        Assert.Equal(rows, back.Rows);
        Assert.Equal(columns, back.Columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                Assert.Equal(view[r, c], back.Data[r * columns + c]);
    }

    [Fact]
    public void WriterWritesVectors()
    {
        string path = _files.PathOf("v.npy");
        NpyWriter.Write(path, new float[] { 1, 2, 3 }.AsSpan());
        string header = Encoding.ASCII.GetString(File.ReadAllBytes(path), 10, 64 - 10);
        Assert.Contains("'shape': (3,)", header);
        Assert.Equal([1f, 2f, 3f], NpyReader.Read(path).Data);
    }

    [Fact]
    public void UnsupportedDtypesNameTheOffsetOfTheDtype()
    {
        // The header starts at byte 10; "{'descr': " is 10 characters, so the dtype literal is at 20.
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Read(Fixture("x.npy", NumpyBigEndian)));
        Assert.Equal("x.npy, offset 20: dtype '>f4' is not supported; use little-endian float32/float64 or uint8 ('<f4', '<f8' or '|u1')", ex.Message);
        Assert.Equal(20, ex.Offset);

        var ints = Assert.Throws<DataFormatException>(() => NpyReader.Read(Fixture("i.npy", NumpyInt64)));
        Assert.StartsWith("i.npy, offset 20: dtype '<i8' is not supported", ints.Message);
    }

    [Fact]
    public void FortranOrderAndThreeDimensionsAreRejected()
    {
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Read(Fixture("f.npy", NumpyFortran)));
        // "{'descr': '<f4', 'fortran_order': " is 34 characters: True starts at 10 + 34.
        Assert.StartsWith("f.npy, offset 44: fortran_order is True (column-major); only C order is supported", ex.Message);

        var ex2 = Assert.Throws<DataFormatException>(() => NpyReader.Read(Fixture("c.npy", Numpy3D)));
        Assert.Contains("c.npy, offset ", ex2.Message);
        Assert.Contains("shape (2, 2, 2) has 3 dimensions; expected a 1-D or 2-D array", ex2.Message);
    }

    [Fact]
    public void TruncatedDataGivesTheDataOffsetAndBothSizes()
    {
        byte[] bytes = Convert.FromBase64String(NumpyF4);
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Read(_files.WriteBytes("cut.npy", bytes[..^4])));
        Assert.Equal("cut.npy, offset 128: expected 24 bytes of data for shape (2, 3) of '<f4', found 20 (the file is truncated)", ex.Message);

        var header = Assert.Throws<DataFormatException>(() => NpyReader.Read(_files.WriteBytes("cut-header.npy", bytes[..60])));
        Assert.StartsWith("cut-header.npy, offset 8: the header length is 118 bytes but only 50 bytes follow", header.Message);
    }

    [Fact]
    public void NaNNamesTheElementUnlessAllowed()
    {
        var data = (float[])A.Clone();
        data[4] = float.NaN; // row 1, column 1
        string path = _files.PathOf("nan.npy");
        NpyWriter.Write(path, new ReadOnlySpan2D<float>(data, 2, 3));
        var ex = Assert.Throws<DataFormatException>(() => NpyReader.Read(path));
        Assert.Equal("nan.npy, offset 144: element [1, 1] (row 1, column 1) is NaN; expected a finite number (pass allowNaN: true to accept it)", ex.Message);
        Assert.True(float.IsNaN(NpyReader.Read(path, allowNaN: true).Data[4]));
    }

    [Fact]
    public void BrokenMagicAndHeadersAreReported()
    {
        var magic = Assert.Throws<DataFormatException>(() => NpyReader.Read(_files.WriteBytes("text.npy", Encoding.ASCII.GetBytes("hello, world"))));
        Assert.StartsWith("text.npy, offset 0: expected the .npy magic string \\x93NUMPY, found 68 65 6c 6c 6f 2c", magic.Message);

        byte[] bytes = Convert.FromBase64String(NumpyF4);
        bytes[6] = 9;
        var version = Assert.Throws<DataFormatException>(() => NpyReader.Read(_files.WriteBytes("v9.npy", bytes)));
        Assert.StartsWith("v9.npy, offset 6: format version 9.0 is not supported", version.Message);

        byte[] noShape = Convert.FromBase64String(NumpyF4);
        Encoding.ASCII.GetBytes("'shapf'").CopyTo(noShape, 10 + 41);
        var key = Assert.Throws<DataFormatException>(() => NpyReader.Read(_files.WriteBytes("key.npy", noShape)));
        Assert.Equal("key.npy, offset 51: unexpected header key 'shapf'; expected only 'descr', 'fortran_order' and 'shape'", key.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => NpyReader.Read(_files.PathOf("absent.npy")));
        Assert.Contains("absent.npy", missing.Message);
    }
}
