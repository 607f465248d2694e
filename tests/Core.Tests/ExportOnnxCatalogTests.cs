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
        var chain = new TransformerChain<ITransformer>(new CenterTransformer("C", "Value", 1), new FakeExportable([1, 2, 3]), new FakeExportable([7, 8]));
        new MLContext(1).SpatialExpression().ExportOnnx(chain, folder.File("m.onnx"));
        Assert.Equal([7, 8], File.ReadAllBytes(folder.File("m.onnx")));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void ExportOnnx_ASingleExportableComponent_IsWritten()
    {
        using var folder = new TempFolder();
        new MLContext(1).SpatialExpression().ExportOnnx(new FakeExportable([4, 2]), folder.File("one.onnx"));
        Assert.Equal([4, 2], File.ReadAllBytes(folder.File("one.onnx")));
    }

    [Fact]
    public void ExportOnnx_NothingExportable_NamesTheComponents()
    {
        using var folder = new TempFolder();
        var ml = new MLContext(1);
        var error = Assert.Throws<InvalidOperationException>(() =>
            ml.SpatialExpression().ExportOnnx(new CenterTransformer("C", "Value", 1), folder.File("never.onnx")));
        Assert.Contains("CenterTransformer", error.Message);
        var chain = ml.Transforms.CopyColumns("Copy", "Value").Fit(TestData.Table());
        Assert.Contains("ColumnCopyingTransformer", Assert.Throws<InvalidOperationException>(() =>
            ml.SpatialExpression().ExportOnnx(new TransformerChain<ITransformer>(chain, new CenterTransformer("C", "Value", 1)), folder.File("never.onnx"))).Message);
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    private sealed class FakeExportable(byte[] bytes) : ArchivableTransformer, IOnnxExportableTransformer
    {
        public byte[] ExportOnnx() => bytes;
        public override DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => inputSchema;
        public override IDataView Transform(IDataView input) => input;
        public override void Save(ComponentSaveContext context) => throw new NotSupportedException("test double");
    }
}
