<?xml version="1.0" encoding="UTF-8"?>
<!-- The fields the gateway's FHIR dialect reads from each birth, pulled to one text line per person, so that
     xsltproc does comparable work in bench-civil-xml.sh. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:f="http://hl7.org/fhir">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/">
    <xsl:for-each select="f:Bundle/f:entry/f:resource/*">
      <xsl:value-of select="local-name()"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:id/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:identifier/f:type/f:coding/f:code/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:identifier/f:value/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:patient/f:reference/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:relationship/f:coding/f:system/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:relationship/f:coding/f:code/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:name/f:family/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:name/f:given/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:gender/@value"/><xsl:text>&#9;</xsl:text>
      <xsl:value-of select="f:birthDate/@value"/><xsl:text>&#10;</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
