using System.IO.Compression;

namespace GenDsl.Runtime.Tests;

/// <summary>A scratch folder for reader and checkpoint tests, deleted when the test class is disposed.</summary>
public sealed class ReaderTestFiles : IDisposable
{
    public ReaderTestFiles()
    {
        Folder = Path.Combine(Path.GetTempPath(), "gendsl-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public string WriteText(string name, string text)
    {
        string path = PathOf(name);
        File.WriteAllText(path, text);
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
            gzip.Write(bytes);
        return output.ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
