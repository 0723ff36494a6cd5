using System.Buffers.Binary;
using System.Text;
using GenDsl.IO;

namespace GenDsl.Runtime.Tests;

/// <summary>
/// The escapes the reader fuzz tests found (issue #15), one case each: before the fixes these threw
/// <see cref="InvalidOperationException"/> (from System.Text.Json) or <see cref="ArgumentException"/>
/// instead of a <see cref="DataFormatException"/> naming the file.
/// </summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private readonly ReaderTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A safetensors file with the given header bytes (length field set to match) and 4 bytes of data.</summary>
    private string SafeTensorsFile(byte[] header)
    {
        byte[] file = [.. new byte[8], .. header, 0, 0, 128, 63];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        return _files.WriteBytes("bad.safetensors", file);
    }

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData(0, new byte[] { 0xFF })]
    [InlineData(1, new byte[] { 0xC3, 0x28 })]
    [InlineData(2, new byte[] { 0xED, 0xA0, 0x80 })]        // an encoded surrogate
    [InlineData(3, new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80 })]
    [InlineData(4, new byte[] { 0xC0, 0xAF })]               // overlong '/'
    public void SafeTensorsHeaderWithInvalidUtf8NamesTheFileAndOffset(int where, byte[] bad)
    {
        // The bad bytes in a tensor name, a metadata value, a dtype, a metadata key, or the name again.
        string[] before =
        [
            "{\"w", "{\"__metadata__\":{\"k\":\"v", "{\"w\":{\"dtype\":\"F3", "{\"__metadata__\":{\"", "{\"",
        ];
        string[] after =
        [
            "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            "\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            "2\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            "\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        ];
        byte[] header = [.. Utf8(before[where]), .. bad, .. Utf8(after[where])];
        string path = SafeTensorsFile(header);
        var ex = Assert.Throws<DataFormatException>(() => SafeTensors.Read(path));
        Assert.Equal("bad.safetensors", ex.FileName);
        Assert.Equal(8 + Utf8(before[where]).Length, ex.Offset);
        Assert.Contains("not valid UTF-8", ex.Message);
    }

    [Theory]
    [InlineData("""{"\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"\udfff","shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"__metadata__":{"k":"\ud83d"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"__metadata__":{"\udc00\ud800":"v"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""")]
    [InlineData("""{"w":{"dtype":"F32","\ud800":1,"shape":[1],"data_offsets":[0,4]}}""")]
    public void SafeTensorsHeaderWithALoneSurrogateEscapeNamesTheFile(string header)
    {
        string path = SafeTensorsFile(Utf8(header));
        var ex = Assert.Throws<DataFormatException>(() => SafeTensors.Read(path));
        Assert.Equal("bad.safetensors", ex.FileName);
        Assert.Contains("surrogate", ex.Message);
        Assert.NotNull(ex.Offset);
    }

    [Theory]
    [InlineData("[\"0\",\"4\"]")]
    [InlineData("[null,4]")]
    [InlineData("[0,true]")]
    [InlineData("[[0],4]")]
    [InlineData("[0,{\"k\":4}]")]
    public void SafeTensorsDataOffsetsThatAreNotNumbersNameTheTensor(string offsets)
    {
        string path = SafeTensorsFile(Utf8($"{{\"w\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{offsets}}}}}"));
        var ex = Assert.Throws<DataFormatException>(() => SafeTensors.Read(path));
        Assert.StartsWith("bad.safetensors: tensor 'w': expected \"data_offsets\": [begin, end]", ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    public void CsvWithASingleColumnAndALabelColumnIsADataFormatException(int labelColumn)
    {
        string path = _files.WriteText("one.csv", "\n3\n4\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path, labelColumn: labelColumn));
        Assert.StartsWith("one.csv, line 2: the file has a single column", ex.Message);
    }
}
