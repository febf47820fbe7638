#!/usr/bin/env python3
"""Writes a synthetic FHIR R4 XML Bundle of N births to standard output, for bench-civil-xml.sh.

Each birth is a child Patient (a BR identifier, name, gender, birth date) followed by the mother's RelatedPerson (NMTH). Every person is made up.
"""
import sys

GIVEN = ["Amani", "Baraka", "Chausiku", "Dalila", "Eshe", "Faraji", "Gimbya", "Hodari", "Imani", "Jabari"]
FAMILY = ["Testone", "Testtwo", "Testthree", "Testfour", "Testfive", "Testsix", "Testseven"]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    out = sys.stdout
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<Bundle xmlns="http://hl7.org/fhir">\n')
    out.write('  <type value="collection"/>\n')
    for n in range(count):
        day = 1 + n % 28
        month = 1 + n % 12
        given = GIVEN[n % len(GIVEN)]
        family = FAMILY[n % len(FAMILY)]
        sex = "female" if n % 2 else "male"
        out.write(f"""  <entry>
    <resource>
      <Patient>
        <id value="child-{n}"/>
        <identifier>
          <type>
            <coding>
              <system value="http://terminology.hl7.org/CodeSystem/v2-0203"/>
              <code value="BR"/>
            </coding>
          </type>
          <value value="BR-2024-{n:07d}"/>
        </identifier>
        <name>
          <family value="{family}"/>
          <given value="{given}"/>
        </name>
        <gender value="{sex}"/>
        <birthDate value="2024-{month:02d}-{day:02d}"/>
      </Patient>
    </resource>
  </entry>
  <entry>
    <resource>
      <RelatedPerson>
        <id value="mother-{n}"/>
        <patient>
          <reference value="Patient/child-{n}"/>
        </patient>
        <relationship>
          <coding>
            <system value="http://terminology.hl7.org/CodeSystem/v3-RoleCode"/>
            <code value="NMTH"/>
          </coding>
        </relationship>
        <name>
          <family value="{family}"/>
          <given value="{GIVEN[(n + 3) % len(GIVEN)]}"/>
        </name>
        <gender value="female"/>
        <birthDate value="{1980 + n % 20}"/>
      </RelatedPerson>
    </resource>
  </entry>
""")
    out.write("</Bundle>\n")


if __name__ == "__main__":
    main()
