using System.Globalization;
using GenDsl.IO;

namespace GenDsl;

/// <summary>
/// Saving and loading a generated model's parameters in the safetensors format, with metadata that
/// lets a load refuse a file made for another declaration (naming the first mismatch).
/// </summary>
public static class Checkpoint
{
    public const string ModelKey = "gendsl.model";
    public const string HashKey = "gendsl.declaration_hash";
    public const string StepKey = "gendsl.step";
    public const string FormatKey = "gendsl.format";
    public const string NoiseKey = "gendsl.noise_position";

    /// <summary>Writes every tensor of <paramref name="model"/> (atomically: a temporary file, then a rename).</summary>
    public static void Save(IGenerativeModel model, string path, string modelName, long step)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var entries = new List<TensorEntry>(model.Tensors.Count);
        foreach (var t in model.Tensors)
            entries.Add(new TensorEntry(t.Name, t.Shape, ArenaOf(model, t).Slice(t.Offset, t.Length)));
        var metadata = new Dictionary<string, string>
        {
            [ModelKey] = modelName,
            [HashKey] = model.DeclarationHash,
            [StepKey] = step.ToString(CultureInfo.InvariantCulture),
            [FormatKey] = "1",
        };
        if (model is INoisyModel noisy)
            metadata[NoiseKey] = noisy.NoisePosition.ToString(CultureInfo.InvariantCulture);
        SafeTensors.Write(path, entries, metadata);
    }

    /// <summary>Reads a checkpoint into <paramref name="model"/>; nothing is changed unless every tensor matches.</summary>
    public static long Load(IGenerativeModel model, string path, string modelName)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = SafeTensors.Read(path);
        file.Metadata.TryGetValue(ModelKey, out var savedModel);
        file.Metadata.TryGetValue(HashKey, out var savedHash);

        // Check everything before touching the parameters, so a failed load leaves the model as it was.
        foreach (var t in model.Tensors)
        {
            if (!file.Names.Contains(t.Name))
                throw Mismatch(path, modelName, savedModel, $"tensor '{t.Name}' [{string.Join(", ", t.Shape)}] is missing from the file");
            var shape = file.Shape(t.Name);
            if (!shape.AsSpan().SequenceEqual(t.Shape))
                throw Mismatch(path, modelName, savedModel,
                    $"tensor '{t.Name}' has shape [{string.Join(", ", shape)}] in the file but [{string.Join(", ", t.Shape)}] in {modelName}");
        }
        foreach (var name in file.Names)
        {
            if (!model.Tensors.Any(t => t.Name == name))
                throw Mismatch(path, modelName, savedModel, $"the file has a tensor '{name}' that {modelName} does not declare");
        }
        if (savedHash is not null && savedHash != model.DeclarationHash)
            throw Mismatch(path, modelName, savedModel,
                $"the declaration hash differs ({savedHash} in the file, {model.DeclarationHash} now): the layers' settings (masks, permutations, activations) changed");

        foreach (var t in model.Tensors)
            file.CopyTo(t.Name, ArenaOf(model, t).Span.Slice(t.Offset, t.Length));
        if (model is INoisyModel noisy && file.Metadata.TryGetValue(NoiseKey, out var position)
            && ulong.TryParse(position, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong p))
            noisy.NoisePosition = p;

        return file.Metadata.TryGetValue(StepKey, out var step) && long.TryParse(step, NumberStyles.Integer, CultureInfo.InvariantCulture, out long saved)
            ? saved
            : 0;
    }

    /// <summary>The arena a tensor lives in: the parameters, or the buffers for running statistics.</summary>
    private static Memory<float> ArenaOf(IGenerativeModel model, TensorInfo t) => t.IsBuffer ? model.Buffers : model.Parameters;

    private static InvalidDataException Mismatch(string path, string modelName, string? savedModel, string what) =>
        new($"{Path.GetFileName(path)} was not saved from {modelName}{(savedModel is not null && savedModel != modelName ? $" (it holds a {savedModel})" : "")}: {what}. Load it into the model it was saved from, or retrain.");
}
