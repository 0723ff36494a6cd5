using System.Text;
using GenDsl.IO;

namespace GenDsl.Runtime.Tests;

public sealed class ReaderCsvTests : IDisposable
{
    private readonly ReaderTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ReadsAHeaderedFileWithALabelColumnInTheMiddle()
    {
        string path = _files.WriteText("points.csv",
            "\uFEFF\"x\", label ,\"y, the second\"\r\n" +
            "1.5, 2, -3\r\n" +
            "\r\n" +
            "  4e2 ,0,\"5.25\"\r\n" +
            "-0.125,1,6\r\n");
        var d = CsvReader.Read(path, labelColumn: 1);
        Assert.Equal(3, d.Rows);
        Assert.Equal(2, d.Columns);
        Assert.Equal([1.5f, -3f, 400f, 5.25f, -0.125f, 6f], d.Data);
        Assert.Equal([2, 0, 1], d.Labels.ToArray());
        Assert.Equal("points", d.Name);
    }

    [Fact]
    public void DetectsTheAbsenceOfAHeaderAndCountsLabelColumnsFromTheEnd()
    {
        string path = _files.WriteText("plain.csv", "1,2,3\n4,5,6\n");
        var d = CsvReader.Read(path, labelColumn: -1);
        Assert.Equal(2, d.Rows);
        Assert.Equal([1f, 2f, 4f, 5f], d.Data);
        Assert.Equal([3, 6], d.Labels.ToArray());

        var all = CsvReader.Read(path);
        Assert.Equal(3, all.Columns);
        Assert.False(all.HasLabels);

        var skipped = CsvReader.Read(path, hasHeader: true); // forced: the first line is dropped
        Assert.Equal(1, skipped.Rows);
        Assert.Equal([4f, 5f, 6f], skipped.Data);
    }

    [Fact]
    public void ReadsGzipByMagicBytesAndOtherSeparators()
    {
        string path = _files.WriteBytes("table.data", ReaderTestFiles.Gzip(Encoding.UTF8.GetBytes("a;b\n1;2\n3;4")));
        var d = CsvReader.Read(path, separator: ';');
        Assert.Equal([1f, 2f, 3f, 4f], d.Data);
        string tabs = _files.WriteText("t.tsv", "1\t2\n");
        Assert.Equal([1f, 2f], CsvReader.Read(tabs, separator: '\t').Data);
    }

    [Fact]
    public void AWrongNumberOfValuesNamesFileAndLine()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 16; i++)
            sb.Append(string.Join(',', Enumerable.Repeat("1", 65))).Append('\n');
        sb.Append(string.Join(',', Enumerable.Repeat("1", 63))).Append('\n'); // line 17
        string path = _files.WriteText("digits.csv", sb.ToString());
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal("digits.csv, line 17: expected 65 values, found 63", ex.Message);
        Assert.Equal(17, ex.Line);
        Assert.Equal("digits.csv", ex.FileName);
    }

    [Fact]
    public void LineNumbersCountBlankLinesAndTheHeader()
    {
        string path = _files.WriteText("gaps.csv", "x,y\n\n1,2\n\n\n3,oops\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.Equal("gaps.csv, line 6: column 2: expected a number, found 'oops'", ex.Message);
    }

    [Fact]
    public void AHeaderReadAsDataGetsAHint()
    {
        string path = _files.WriteText("named.csv", "x,y\n1,2\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path, hasHeader: false));
        Assert.StartsWith("named.csv, line 1: column 1: expected a number, found 'x'", ex.Message);
        Assert.Contains("hasHeader: true", ex.Message);
    }

    [Fact]
    public void NaNAndEmptyValuesAreRejectedUnlessAllowed()
    {
        string path = _files.WriteText("holes.csv", "1,2,3\n4,NaN,6\n7,,9\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.StartsWith("holes.csv, line 2: column 2: value 'NaN' is not finite", ex.Message);
        Assert.Contains("allowNaN", ex.Message);

        string empty = _files.WriteText("empty-field.csv", "1,2\n,4\n");
        var ex2 = Assert.Throws<DataFormatException>(() => CsvReader.Read(empty));
        Assert.StartsWith("empty-field.csv, line 2: column 1: empty value", ex2.Message);

        var d = CsvReader.Read(path, allowNaN: true);
        Assert.True(float.IsNaN(d.Data[4]));
        Assert.True(float.IsNaN(d.Data[7]));
        Assert.Equal(9f, d.Data[8]);

        string huge = _files.WriteText("huge.csv", "1\n1e39\n");
        var ex3 = Assert.Throws<DataFormatException>(() => CsvReader.Read(huge));
        Assert.StartsWith("huge.csv, line 2: column 1: value '1e39' is too large for float32", ex3.Message);
    }

    [Fact]
    public void BadLabelsAndLabelColumnsAreRejected()
    {
        string path = _files.WriteText("labels.csv", "1,0\n2,1\n3,2.5\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path, labelColumn: 1));
        Assert.Equal("labels.csv, line 3: column 2: expected a label (a non-negative integer), found '2.5'", ex.Message);

        var ex2 = Assert.Throws<ArgumentOutOfRangeException>(() => CsvReader.Read(path, labelColumn: 2));
        Assert.Equal("labelColumn", ex2.ParamName);
        Assert.Contains("2 columns", ex2.Message);

        string negative = _files.WriteText("negative.csv", "1,-1\n");
        Assert.Throws<DataFormatException>(() => CsvReader.Read(negative, labelColumn: 1));
    }

    [Fact]
    public void UnclosedQuotesEmptyFilesAndMissingFiles()
    {
        string quotes = _files.WriteText("quotes.csv", "1,2\n3,\"4\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(quotes));
        Assert.StartsWith("quotes.csv, line 2: column 2: a quoted field is not closed", ex.Message);

        string empty = _files.WriteText("nothing.csv", "\n  \n");
        var ex2 = Assert.Throws<DataFormatException>(() => CsvReader.Read(empty));
        Assert.StartsWith("nothing.csv: the file is empty", ex2.Message);

        string missing = _files.PathOf("missing.csv");
        var ex3 = Assert.Throws<FileNotFoundException>(() => CsvReader.Read(missing));
        Assert.Equal(missing, ex3.FileName);
        Assert.Contains(missing, ex3.Message);

        string binary = _files.WriteBytes("binary.csv", [0xff, 0xfe, 0x00, 0x81]);
        var ex4 = Assert.Throws<DataFormatException>(() => CsvReader.Read(binary));
        Assert.StartsWith("binary.csv: the file is not UTF-8 text", ex4.Message);
    }

    [Fact]
    public void ATruncatedGzipIsADataFormatError()
    {
        byte[] gz = ReaderTestFiles.Gzip(Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 2000))));
        string path = _files.WriteBytes("cut.csv.gz", gz[..(gz.Length / 2)]);
        var ex = Assert.Throws<DataFormatException>(() => CsvReader.Read(path));
        Assert.StartsWith("cut.csv.gz: the gzip data decompresses to", ex.Message);
        Assert.Contains("truncated or corrupt", ex.Message);

        byte[] flipped = (byte[])gz.Clone();
        flipped[^8] ^= 1; // damage the stored CRC-32: the data no longer matches it
        var ex2 = Assert.Throws<DataFormatException>(() => CsvReader.Read(_files.WriteBytes("crc.csv.gz", flipped)));
        Assert.StartsWith("crc.csv.gz: ", ex2.Message);
        Assert.Contains("corrupt", ex2.Message);
        Assert.Equal(2000, CsvReader.Read(_files.WriteBytes("whole.csv.gz", gz)).Rows);
    }
}
