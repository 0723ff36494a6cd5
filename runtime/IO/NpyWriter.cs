using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using CommunityToolkit.HighPerformance;

namespace GenDsl.IO;

/// <summary>
/// Writes float32 arrays as NumPy <c>.npy</c> files (format 1.0, dtype <c>'&lt;f4'</c>, C order),
/// readable by <c>numpy.load</c> and by <see cref="NpyReader"/>. Writes are atomic: the file is
/// written to <c>path + ".tmp"</c> and renamed over <c>path</c> only when complete.
/// </summary>
public static class NpyWriter
{
    /// <summary>Writes a 2-D array of shape (Height, Width). Views with a pitch are written row by row.</summary>
    public static void Write(string path, ReadOnlySpan2D<float> data) =>
        DataFile.WriteAtomically(path, data, static (stream, d) =>
        {
            WriteHeader(stream, [d.Height, d.Width]);
            for (int r = 0; r < d.Height; r++)
                WriteValues(stream, d.GetRowSpan(r));
        });

    /// <summary>Writes a 1-D array of shape (Length,).</summary>
    public static void Write(string path, ReadOnlySpan<float> vector) =>
        DataFile.WriteAtomically(path, vector, static (stream, v) =>
        {
            WriteHeader(stream, [v.Length]);
            WriteValues(stream, v);
        });

    private static void WriteHeader(Stream stream, int[] shape)
    {
        // {'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), } then spaces and a newline so
        // that magic (6) + version (2) + length (2) + header is a multiple of 64, as NumPy writes it.
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {NpyReader.ShapeText(shape)}, }}";
        int unpadded = 10 + dict.Length + 1;
        int padding = (64 - unpadded % 64) % 64;
        string header = dict + new string(' ', padding) + "\n";
        Span<byte> prefix = stackalloc byte[10];
        NpyReader.Magic.CopyTo(prefix);
        prefix[6] = 1; // version 1.0
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], checked((ushort)header.Length));
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    private static void WriteValues(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> buffer = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, v);
            stream.Write(buffer);
        }
    }
}
