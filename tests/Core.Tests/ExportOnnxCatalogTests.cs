using MlNetStem.Data;
using MlNetStem.Model;
using MlNetStem.Pipeline;
using MlNetStem.TestKit;
using Xunit;

namespace MlNetStem.Core.Tests;

public class ExportOnnxCatalogTests
{
    [Fact]
    public void ExportOnnx_WritesTheLastExportableComponent()
    {
        using var folder = new TempFolder();
        var chain = new TransformerChain<ITransformer>([new CenterTransformer("C", "Value", 1), new FakeExportable([1, 2, 3]), new FakeExportable([7, 8])]);
        new StemContext(1).Model.ExportOnnx(chain, folder.File("m.onnx"));
        Assert.Equal([7, 8], File.ReadAllBytes(folder.File("m.onnx")));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void ExportOnnx_NothingExportable_NamesTheComponents()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new StemContext(1).Model.ExportOnnx(new CenterTransformer("C", "Value", 1), "/tmp/never.onnx"));
        Assert.Contains("CenterTransformer", error.Message);
    }

    private sealed class FakeExportable(byte[] bytes) : IOnnxExportableTransformer
    {
        public byte[] ExportOnnx() => bytes;
        public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public IDataView Transform(IDataView input) => input;
        public void Save(ModelSaveContext context) => throw new NotSupportedException("test double");
    }
}
