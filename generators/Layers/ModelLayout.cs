using System.Collections.Generic;
using System.Linq;

namespace GenDsl.Generators.Layers;

/// <summary>A slice of the activation arena: a field of the generated class holding its offset.</summary>
/// <param name="Field">The field's name ("_E1_out").</param>
/// <param name="Width">Floats per row, or in all when <paramref name="RowsFactor"/> is 0.</param>
/// <param name="RowsFactor">0: a fixed size; 1: MaxBatch rows; 2, 3: that many times MaxBatch rows.</param>
/// <param name="Comment">What it holds.</param>
/// <param name="SizeExpression">A C# size expression evaluated by the constructor instead of Width (scratch sized by the runtime).</param>
internal sealed record ActivationField(string Field, int Width, int RowsFactor, string Comment, string? SizeExpression = null)
{
    /// <summary>"[rows, 64]", "[2·rows, 64]", "[64]" or "[scratch]".</summary>
    public string ShapeText => SizeExpression is not null ? "[runtime-sized]"
        : RowsFactor == 0 ? $"[{Width}]" : RowsFactor == 1 ? $"[rows, {Width}]" : $"[{RowsFactor}·rows, {Width}]";

    /// <summary>The constructor's Take(ref offset, …) argument.</summary>
    public string SizeText => SizeExpression ?? (RowsFactor == 0 ? $"{Width}" : RowsFactor == 1 ? $"_maxBatch * {Width}" : $"{RowsFactor} * _maxBatch * {Width}");
}

/// <summary>A tensor of the model: checkpoint name, offset constant, shape, and whether it is a buffer.</summary>
internal sealed record ModelTensor(string Name, string Const, int[] Shape, bool IsBuffer);

/// <summary>
/// The memory layout of a model, shared by every model kind: offsets in the parameter arena (the
/// gradient arena has the same layout), in the buffer arena (saved, not learned: running statistics)
/// and the slices of the activation arena.
/// </summary>
internal sealed class ModelLayout
{
    public List<(string Name, int Offset, string Comment)> ParameterConstants { get; } = new();
    public List<(string Name, int Offset, string Comment)> BufferConstants { get; } = new();
    public List<ModelTensor> Tensors { get; } = new();
    public List<ActivationField> ActivationFields { get; } = new();

    /// <summary>Next free offset of the parameter arena (aligned).</summary>
    public int Offset { get; set; }
    public int BufferOffset { get; private set; }
    /// <summary>Learned parameters without padding (buffers excluded).</summary>
    public int ParameterCount { get; private set; }

    public static int Align(int floats) => (floats + 15) / 16 * 16;

    /// <summary>Allocates a tensor and returns its constant's name.</summary>
    public string AddTensor(string constName, string tensorName, int[] shape, bool isBuffer = false)
    {
        int length = shape.Aggregate(1, (a, b) => a * b);
        string comment = $"{tensorName} [{string.Join(", ", shape)}]";
        if (isBuffer)
        {
            BufferConstants.Add((constName, BufferOffset, comment));
            BufferOffset += Align(length);
        }
        else
        {
            ParameterConstants.Add((constName, Offset, comment));
            ParameterCount += length;
            Offset += Align(length);
        }
        Tensors.Add(new ModelTensor(tensorName, constName, shape, isBuffer));
        return constName;
    }

    public void AddField(string field, int width, int rowsFactor, string comment, string? sizeExpression = null) =>
        ActivationFields.Add(new ActivationField(field, width, rowsFactor, comment, sizeExpression));

    public int TensorIndex(string name) => Tensors.FindIndex(t => t.Name == name);
}
