using System.Text;

namespace GenDsl;

/// <summary>A generated model that can write itself as a PyTorch module with its weights (<c>model.ExportPyTorch(dir)</c>).</summary>
public interface IPyTorchExportable
{
    /// <summary>
    /// Writes <c>&lt;ClassName&gt;.py</c>, a self-contained Python file defining a <c>torch.nn.Module</c> that mirrors the
    /// declaration, and <c>&lt;ClassName&gt;.safetensors</c>, the model's parameters and buffers under the names its
    /// state_dict uses (the checkpoint names), into <paramref name="directory"/> (created if needed). The file's metadata
    /// records the model's state as <see cref="IGenerativeModel.Save"/> does: the noise position and <paramref name="step"/>,
    /// the number of optimizer steps taken (the Python side's <c>load_safetensors</c> and <c>model.Load</c> return it).
    /// Pass the optimizer's <see cref="Optimizer.StepCount"/>, or use the <see cref="PyTorchExport.ExportPyTorch"/>
    /// overload that takes the optimizer; 0 (the default) is right only for an untrained model.
    /// </summary>
    void ExportPyTorch(string directory, long step = 0);
}

/// <summary>The file writing behind the generated <c>ExportPyTorch</c> methods.</summary>
public static class PyTorchExport
{
    /// <summary>
    /// Exports <paramref name="model"/> with the step count of the <paramref name="optimizer"/> that trained it
    /// (<see cref="Optimizer.StepCount"/>), so the exported checkpoint records how far training went.
    /// </summary>
    public static void ExportPyTorch(this IPyTorchExportable model, string directory, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        model.ExportPyTorch(directory, optimizer.StepCount);
    }

    /// <summary>Writes <paramref name="className"/>.py (<paramref name="pythonSource"/>, UTF-8) and <paramref name="className"/>.safetensors (<see cref="IGenerativeModel.Save"/> with <paramref name="step"/>).</summary>
    public static void Write(IGenerativeModel model, string directory, string className, string pythonSource, long step = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(className);
        ArgumentNullException.ThrowIfNull(pythonSource);
        Directory.CreateDirectory(directory);
        string python = Path.Combine(directory, className + ".py");
        string temporary = python + ".tmp";
        File.WriteAllText(temporary, pythonSource.ReplaceLineEndings("\n"), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, python, overwrite: true);
        model.Save(Path.Combine(directory, className + ".safetensors"), step);
    }
}
